/**
 * A local tree through Node's fs: the portable path (Windows, macOS, Linux without the addon). Every operation checks
 * the folders on its way just before it runs (js-paths.ts), opens files without following links or blocking, writes
 * to unpredictable temporary names created exclusively, and changes attributes through a handle to the entry itself
 * where the platform allows. The one thing it cannot do is work relative to a folder handle: the README says what
 * that leaves open.
 */
import { constants } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, open, rename, rmdir, symlink, unlink, utimes } from 'node:fs/promises';
import { describeError, isExists, isGone, isNotEmpty } from '../../errors.js';
import type { HashAlgorithm } from '../../options.js';
import { joinRel, parentOf, toAbs } from '../../paths.js';
import { newTempName } from '../../reserved.js';
import { createFilter } from '../../scan/filter.js';
import { toEntry } from '../../scan/to-entry.js';
import { toUtimes } from '../../times.js';
import type { DirEntry, Fingerprint, RelPath, Snapshot } from '../../types.js';
import { acquireLock } from '../local/lock.js';
import { localCaps, prepareRoot } from '../local/root.js';
import type {
  AttrItem, DestinationTree, HashTarget, LinkItem, OpenedFile, PairScanRequest, RemoveItem, RenameItem, ScanRequest, SourceTree, StepResult, TreeCaps, TreeLock,
  WriteItem,
} from '../tree.js';
import { hashFile, openRegular, writeTemp } from './js-files.js';
import { checkExpected, checkFolders, exists, retire, stepError, UnsafePathError } from './js-paths.js';
import { scanBothJs } from './scan-both.js';
import { scanTree } from './scan-tree.js';

const TRIES = 3;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

const done: StepResult = { status: 'done' };
const vanished: StepResult = { status: 'vanished' };
const changed: StepResult = { status: 'changed-since-scan' };

function failure(err: unknown): StepResult {
  if (err instanceof UnsafePathError) return { status: 'failed', error: { code: 'EUNSAFE', message: err.message } };
  return stepError(err, describeError);
}

export interface JsTreeOptions {
  /** Absolute path of a backup folder (inside or outside the tree), or undefined. */
  readonly backup?: string;
}

export class JsTree implements SourceTree, DestinationTree {
  readonly kind = 'js' as const;
  readonly caps: TreeCaps = localCaps();

  constructor(readonly root: string, private readonly options: JsTreeOptions = {}) {}

  private abs(path: RelPath): string {
    return toAbs(this.root, path);
  }

  async rootEntry(): Promise<DirEntry | undefined> {
    const st = await lstat(this.root, { bigint: true }).catch(() => undefined);
    const e = st ? toEntry(st, () => '') : undefined;
    return e?.kind === 'dir' ? e : undefined;
  }

  async scan(request: ScanRequest): Promise<Snapshot> {
    if (!(await this.rootEntry())) return { root: this.root, entries: new Map() };
    return scanTree(this.root, request.side, createFilter(request.rules), request.scope);
  }

  scanPair(source: SourceTree, request: PairScanRequest): Promise<{ source: Snapshot; destination: Snapshot }> | undefined {
    if (!(source instanceof JsTree)) return undefined;
    // The destination on a worker thread while this one scans the source.
    return scanBothJs(source.root, this.root, request.rules);
  }

  async hash(paths: readonly HashTarget[], algorithm: HashAlgorithm): Promise<(string | undefined)[]> {
    return Promise.all(paths.map((p) => hashFile(typeof p === 'string' ? this.abs(p) : p.file, algorithm)));
  }

  async open(path: RelPath): Promise<OpenedFile | 'vanished'> {
    if ((await checkFolders(this.root, parentOf(path))) === 'vanished') return 'vanished';
    return openRegular(this.abs(path));
  }

  async close(): Promise<void> {
    /* nothing held */
  }

  async lock(timeoutMs: number, create: boolean): Promise<TreeLock> {
    const created = await prepareRoot(this.root, create);
    return acquireLock({ root: this.root, timeoutMs, created });
  }

  tempName(): string {
    return newTempName();
  }

  async removeLeftovers(paths: readonly RelPath[]): Promise<void> {
    await Promise.all(paths.map(async (p) => {
      try {
        if ((await checkFolders(this.root, parentOf(p))) !== 'ok') return;
        const st = await lstat(this.abs(p));
        if (st.isFile() || st.isSymbolicLink()) await unlink(this.abs(p));
      } catch {
        /* gone, or not ours to remove: the next run looks again */
      }
    }));
  }

  /**
   * Runs `step` for each item in turn (apply runs several calls at once), each after checking the folders to `parent`
   * again; an error is that item's result.
   */
  private async each<T>(parent: RelPath, items: readonly T[], step: (item: T) => Promise<StepResult>): Promise<StepResult[]> {
    const out: StepResult[] = [];
    for (const item of items) {
      try {
        out.push((await checkFolders(this.root, parent)) === 'vanished' ? vanished : await step(item));
      } catch (err) {
        out.push(failure(err));
      }
    }
    return out;
  }

  /** Moves what is at `path` to the backup folder, if there is one. */
  private async backUp(path: RelPath): Promise<void> {
    if (this.options.backup) await retire(this.root, this.options.backup, this.abs(path), path);
  }

  makeDirs(parent: RelPath, items: readonly { readonly name: string }[]): Promise<StepResult[]> {
    return this.each(parent, items, async ({ name }) => {
      const abs = this.abs(joinRel(parent, name));
      try {
        // Owner-writable until its children are in; the attributes step gives it the source's mode at the end.
        await mkdir(abs, { mode: 0o700 });
      } catch (err) {
        if (!isExists(err)) throw err;
        if (!(await lstat(abs)).isDirectory()) return changed;
      }
      return done;
    });
  }

  writeFiles(parent: RelPath, items: readonly WriteItem[], from: SourceTree): Promise<StepResult[]> {
    return this.each(parent, items, (item) => this.writeOne(parent, item, from));
  }

  private async writeOne(parent: RelPath, item: WriteItem, from: SourceTree): Promise<StepResult> {
    const path = joinRel(parent, item.name);
    const tmp = this.abs(joinRel(parent, newTempName()));
    let placed = false;
    try {
      for (let attempt = 1; ; attempt++) {
        let source: OpenedFile | Uint8Array | 'vanished';
        if (item.content.type === 'bytes') source = item.content.data;
        else if (item.content.type === 'file') source = await openRegular(item.content.path);
        else source = await from.open(item.content.path);
        if (source === 'vanished') return vanished;
        // Not the file the scan saw (replaced, or reached through a folder swapped for a link): not copied now.
        if (!(source instanceof Uint8Array) && item.content.type === 'tree' && item.source.ino !== 0 && source.entry.ino !== item.source.ino) {
          await source.close();
          return vanished;
        }
        let result;
        try {
          // A tree's file is stamped from what was read; other contents (a vinyl file) from the entry they stand for.
          const fromTree = item.content.type === 'tree';
          result = await writeTemp(tmp, source, item.mode ?? (fromTree ? undefined : item.source.mode), item.source.mtimeMs, fromTree);
        } finally {
          if (!(source instanceof Uint8Array)) await source.close();
        }
        if (result === 'done') break;
        await unlink(tmp).catch(() => undefined);
        if (attempt >= TRIES) return { status: 'failed', error: { code: 'ETORN', message: `source changed while being copied (${TRIES} tries); will retry next run` } };
      }
      const r = await this.place(tmp, path, item.replace);
      placed = r.status === 'done';
      return r;
    } finally {
      if (!placed) await unlink(tmp).catch(() => undefined);
    }
  }

  /** Renames a finished temporary over nothing, or over exactly what `replace` describes (backed up first). */
  private async place(tmp: string, path: RelPath, replace: Fingerprint | undefined): Promise<StepResult> {
    const target = this.abs(path);
    if (replace) {
      const state = await checkExpected(target, replace);
      if (state === 'changed') return changed;
      if (state === 'ok') await this.backUp(path);
    } else if (await exists(target)) {
      return changed;
    }
    await rename(tmp, target);
    return done;
  }

  setAttrs(parent: RelPath, items: readonly AttrItem[]): Promise<StepResult[]> {
    return this.each(parent, items, async (item) => {
      const abs = this.abs(joinRel(parent, item.name));
      if (item.kind === 'symlink') {
        const st = await lstat(abs).catch(() => undefined);
        if (!st) return vanished;
        if (!st.isSymbolicLink()) return changed;
        if (item.mtimeMs !== undefined) await lutimes(abs, Date.now() / 1000, toUtimes(item.mtimeMs));
        return done;
      }
      // Through a handle to the entry itself, opened without following a link: a swap for a link is never followed.
      let fh;
      try {
        fh = await open(abs, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (isGone(err)) return vanished;
        if (code === 'ELOOP') return changed;
        if (code !== 'EACCES' && code !== 'EISDIR' && code !== 'EPERM') throw err;
        // Unreadable (mode 0300, say), or a folder Windows will not open: by name, right after a look.
        const st = await lstat(abs);
        if ((item.kind === 'dir') !== st.isDirectory() || st.isSymbolicLink()) return changed;
        if (item.mode !== undefined && this.caps.modes) await chmod(abs, item.mode);
        if (item.mtimeMs !== undefined) await utimes(abs, Date.now() / 1000, toUtimes(item.mtimeMs));
        return done;
      }
      try {
        const st = await fh.stat();
        if ((item.kind === 'dir') !== st.isDirectory()) return changed;
        if (item.mode !== undefined && this.caps.modes) await fh.chmod(item.mode);
        if (item.mtimeMs !== undefined) await fh.utimes(Date.now() / 1000, toUtimes(item.mtimeMs));
        return done;
      } finally {
        await fh.close();
      }
    });
  }

  remove(parent: RelPath, items: readonly RemoveItem[]): Promise<StepResult[]> {
    return this.each(parent, items, async (item) => {
      const path = joinRel(parent, item.name);
      const state = await checkExpected(this.abs(path), item.expect);
      if (state === 'gone') return vanished;
      if (state === 'changed') return changed;
      try {
        if (item.expect.kind === 'dir') await rmdir(this.abs(path));
        else if (this.options.backup) await this.backUp(path);
        else await unlink(this.abs(path));
        return done;
      } catch (err) {
        if (isGone(err)) return vanished;
        // Something appeared inside the folder since the scan: left for the next run.
        if (item.expect.kind === 'dir' && isNotEmpty(err)) return changed;
        throw err;
      }
    });
  }

  symlinks(parent: RelPath, items: readonly LinkItem[]): Promise<StepResult[]> {
    return this.each(parent, items, async (item) => {
      const tmp = this.abs(joinRel(parent, newTempName()));
      let placed = false;
      try {
        await symlink(item.target, tmp);
        await lutimes(tmp, Date.now() / 1000, toUtimes(item.mtimeMs));
        const r = await this.place(tmp, joinRel(parent, item.name), item.replace);
        placed = r.status === 'done';
        return r;
      } finally {
        if (!placed) await unlink(tmp).catch(() => undefined);
      }
    });
  }

  rename(items: readonly RenameItem[]): Promise<StepResult[]> {
    return Promise.all(items.map(async (item) => {
      try {
        if ((await checkFolders(this.root, parentOf(item.from))) === 'vanished') return vanished;
        if ((await checkFolders(this.root, parentOf(item.to))) === 'vanished') return vanished;
        if (item.expect) {
          const state = await checkExpected(this.abs(item.from), item.expect);
          if (state === 'gone') return vanished;
          if (state === 'changed') return changed;
        }
        if (item.replace) {
          const state = await checkExpected(this.abs(item.to), item.replace);
          if (state === 'changed') return changed;
          if (state === 'ok') await this.backUp(item.to);
        } else if (await exists(this.abs(item.to))) {
          return changed;
        }
        await rename(this.abs(item.from), this.abs(item.to));
        return done;
      } catch (err) {
        return failure(err);
      }
    }));
  }

}
