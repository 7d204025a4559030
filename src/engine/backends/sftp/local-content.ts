/**
 * Where a remote write's bytes come from when they are not a file of the run's source tree: a local file outside any
 * tree (opened like a tree's file: never through a link, never blocking on a FIFO), or bytes in memory.
 */
import { constants, type BigIntStats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { toEntry } from '../../scan/to-entry.js';
import { ctimeOf } from '../../times.js';
import type { FileEntry } from '../../types.js';
import type { Content, OpenedFile, SourceTree } from '../tree.js';

function same(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

async function openLocalFile(path: string): Promise<OpenedFile | 'vanished'> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return 'vanished';
    throw err;
  }
  const first = await fh.stat({ bigint: true });
  if (!first.isFile()) {
    await fh.close();
    return 'vanished';
  }
  const handle = fh;
  const versionOf = (st: BigIntStats): string => `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  return {
    entry: toEntry(first, () => '') as FileEntry,
    version: versionOf(first),
    changedMs: ctimeOf(first),
    versionNow: async () => versionOf(await handle.stat({ bigint: true })),
    async read(buffer, offset, length, position) {
      return (await handle.read(buffer, offset, length, position)).bytesRead;
    },
    async unchanged() {
      const now = await handle.stat({ bigint: true });
      const there = await lstat(path, { bigint: true }).catch(() => undefined);
      return same(first, now) && there !== undefined && there.ino === first.ino && there.dev === first.dev;
    },
    close: () => handle.close(),
  };
}

function openBytes(data: Uint8Array, entry: FileEntry): OpenedFile {
  return {
    entry: { ...entry, size: data.length },
    version: 'bytes',
    // Bytes in memory are whole: nothing is still writing them.
    changedMs: 0,
    versionNow: async () => 'bytes',
    async read(buffer, offset, length, position) {
      const n = Math.max(0, Math.min(length, data.length - position));
      buffer.set(data.subarray(position, position + n), offset);
      return n;
    },
    unchanged: async () => true,
    close: async () => undefined,
  };
}

/** Opens a write's content for reading. */
export function openContent(content: Content, source: FileEntry, from: SourceTree): Promise<OpenedFile | 'vanished'> {
  switch (content.type) {
    case 'tree':
      return from.open(content.path);
    case 'file':
      return openLocalFile(content.path);
    case 'bytes':
      return Promise.resolve(openBytes(content.data, source));
  }
}
