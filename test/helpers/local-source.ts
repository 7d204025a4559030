/**
 * A local folder as the SourceTree a remote destination's writes read from, until the engine's local trees land:
 * files opened like the engine opens them (never through a link, never blocking on a FIFO), scanned by the engine's
 * own scan.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenedFile, ScanRequest, SourceTree } from '../../src/engine/backends/tree.js';
import { scanTree } from '../../src/engine/scan/scan-tree.js';
import { toEntry } from '../../src/engine/scan/to-entry.js';
import type { DirEntry, FileEntry } from '../../src/engine/types.js';

export function localSource(root: string): SourceTree {
  return {
    kind: 'js',
    root,
    caps: { mtimeStepUs: 1, modes: true, symlinks: true, caseInsensitive: false },
    async scan(request: ScanRequest) {
      return scanTree(root, request.side, request.filter, request.scope);
    },
    async rootEntry() {
      const st = await lstat(root, { bigint: true }).catch(() => undefined);
      return st?.isDirectory() ? (toEntry(st, () => '') as DirEntry) : undefined;
    },
    async hash() {
      throw new Error('not used by these tests');
    },
    async close() {},
    async open(path): Promise<OpenedFile | 'vanished'> {
      const abs = join(root, path);
      let fh;
      try {
        fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch {
        return 'vanished';
      }
      const first = await fh.stat({ bigint: true });
      if (!first.isFile()) {
        await fh.close();
        return 'vanished';
      }
      const handle = fh;
      return {
        entry: toEntry(first, () => '') as FileEntry,
        async read(buffer, offset, length, position) {
          return (await handle.read(buffer, offset, length, position)).bytesRead;
        },
        async unchanged() {
          const now = await handle.stat({ bigint: true });
          return now.size === first.size && now.mtimeNs === first.mtimeNs && now.ctimeNs === first.ctimeNs;
        },
        close: () => handle.close(),
      };
    },
  };
}
