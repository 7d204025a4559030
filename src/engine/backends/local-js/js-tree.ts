/**
 * A local tree through Node's fs: the portable path (Windows, macOS, Linux without the addon). Each step works in a
 * folder handle (folders.ts: on Linux a folder opened without following links and reached through /proc/self/fd,
 * elsewhere a path whose folders were just looked at), opens files without following links or blocking, writes to
 * unpredictable temporary names created exclusively, and changes attributes through a handle to the entry itself
 * where the platform allows. The README says what the path-based fallback leaves open.
 */
import { constants } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chmod, lstat, lutimes, mkdir, open, unlink, utimes } from 'node:fs/promises';
import { describeError, isExists, isGone, isNotEmpty } from '../../errors.js';
import type { HashAlgorithm } from '../../options.js';
import { dirname, relative, sep } from 'node:path';
import { baseName, climbsOut, joinRel, parentOf, toAbs } from '../../paths.js';
import { newTempName } from '../../reserved.js';
import { createFilter } from '../../scan/filter.js';
import { toEntry } from '../../scan/to-entry.js';
import { sameMtime, toUtimes } from '../../times.js';
import type { DirEntry, Fingerprint, RelPath, Snapshot } from '../../types.js';
import { probeReadOnly } from '../local/caps-probe.js';
import { inFlight } from '../local/in-flight.js';
import { acquireLock } from '../local/lock.js';
import { prepareRoot } from '../local/root.js';
import type {
  AttrItem, DestinationTree, HashTarget, LinkItem, OpenedFile, PairScanRequest, RemoveItem, RenameItem, ScanRequest, SourceTree, StepResult, TreeCaps, TreeLock,
  WriteItem,
} from '../tree.js';
import { hashFile, openRegular, writeTemp } from './js-files.js';
import { type Folder, FolderOpener, UnsafePathError } from './folders.js';
import { checkExpected, exists, retire, sameEntryOtherCase, stepError, twinName } from './js-paths.js';
import { linkFailure, makeLink } from './js-links.js';
import { renameSafely, rmdirSafely, unlinkSafely } from './transient.js';
import { windowsPathProblem } from './win-names.js';
import { scanBothJs } from './scan-both.js';
import { scanTree } from './scan-tree.js';

/** One look that finds the source changed since the scan, then up to 3 copies (native/copy.c: the same). */
const TRIES = 4;
/** A source changed less than this long ago may still be being written (two ticks of a 250 Hz kernel, with margin). */
const RECENT_MS = 10;
/** Changed within RECENT_MS (a ctime ahead of our clock by more than that is another clock's, a network server's). */
const isRecent = (changedMs: number): boolean => Math.abs(Date.now() - changedMs) < RECENT_MS;
/** How long a source may keep being that recent before the tries go on regardless (then the check after reading decides). */
const RECENT_WAIT_MS = 250;
const WINDOWS = process.platform === 'win32';
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

const done: StepResult = { status: 'done' };
const vanished: StepResult = { status: 'vanished' };
const changed: StepResult = { status: 'changed-since-scan' };

/** On Windows, a failure for a path whose names Windows cannot hold (never written under another name). */
function badName(path: RelPath): StepResult | undefined {
  const why = WINDOWS ? windowsPathProblem(path) : undefined;
  return why === undefined ? undefined : { status: 'failed', error: { code: 'EINVAL', message: why } };
}

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
  /** Measured on the lock when this run took it, or (a dry run) by looking only: see local/caps-probe.ts. */
  private measured: TreeCaps | undefined;
  private readonly folders: FolderOpener;
  private backupFolders: FolderOpener | undefined;

  constructor(readonly root: string, private readonly options: JsTreeOptions = {}) {
    this.folders = new FolderOpener(root);
  }

  get caps(): TreeCaps {
    return (this.measured ??= probeReadOnly(this.root));
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
    return Promise.all(paths.map(async (p) => {
      if (typeof p !== 'string') return hashFile(p.file, algorithm);
      const r = await this.folders.with(parentOf(p), (f) => hashFile(f.at(baseName(p)), algorithm)).catch(() => undefined);
      return r === 'vanished' ? undefined : r;
    }));
  }

  async open(path: RelPath): Promise<OpenedFile | 'vanished'> {
    let folder: Folder;
    try {
      folder = this.folders.open(parentOf(path));
    } catch (err) {
      if (isGone(err) || err instanceof UnsafePathError) return 'vanished';
      throw err;
    }
    // The name's own path serves the check after reading: the folder's handle stays open as long as the file is.
    return openRegular(folder.at(baseName(path)), undefined, () => folder.close());
  }

  async close(): Promise<void> {
    this.folders.close();
    this.backupFolders?.close();
  }

  async lock(timeoutMs: number, create: boolean, signal?: AbortSignal): Promise<TreeLock> {
    const created = await prepareRoot(this.root, create);
    const lock = await acquireLock({ root: this.root, timeoutMs, created, ...(signal ? { signal } : {}) });
    if (lock.caps) this.measured = lock.caps;
    return lock;
  }

  tempName(): string {
    return newTempName();
  }

  async removeLeftovers(paths: readonly RelPath[]): Promise<void> {
    for (const p of paths) {
      await this.folders.with(parentOf(p), async (f) => {
        const st = await lstat(f.at(baseName(p)));
        if (st.isFile() || st.isSymbolicLink()) await unlinkSafely(f.at(baseName(p)));
      }).catch(() => undefined);
    }
  }

  /**
   * Runs `step` for each item in turn (apply runs several calls at once) in the folder `parent`, opened once for the
   * call; an error is that item's result.
   */
  private async each<T>(parent: RelPath, items: readonly T[], step: (folder: Folder, item: T) => Promise<StepResult>): Promise<StepResult[]> {
    let folder: Folder;
    try {
      folder = this.folders.open(parent);
    } catch (err) {
      return items.map(() => failure(err));
    }
    try {
      const out: StepResult[] = [];
      for (const item of items) {
        try {
          out.push(await step(folder, item));
        } catch (err) {
          out.push(failure(err));
        }
      }
      return out;
    } finally {
      folder.close();
    }
  }

  /** Moves the entry at `from` (the path of destination entry `path`) to the backup folder, if there is one. */
  private async backUp(from: string, path: RelPath): Promise<void> {
    const backup = this.options.backup;
    if (backup === undefined) return;
    const inside = relative(this.root, backup);
    const within = inside !== '' && !climbsOut(inside);
    if (!within) this.backupFolders ??= new FolderOpener(backup, 'backup folder');
    const opener = within ? this.folders : (this.backupFolders as FolderOpener);
    const base = within ? inside.split(sep).join('/') : '';
    const parent = parentOf(path);
    const rel = base === '' ? parent : parent === '' ? base : `${base}/${parent}`;
    if (!within) await mkdir(backup, { recursive: true });
    const r = await opener.with(rel, (folder) => retire(from, folder.at(baseName(path))), true);
    if (r === 'vanished') throw Object.assign(new Error(`backup folder for ${path} vanished`), { code: 'ENOENT' });
  }

  makeDirs(parent: RelPath, items: readonly { readonly name: string }[]): Promise<StepResult[]> {
    return this.each(parent, items, async (folder, { name }) => {
      const refused = badName(joinRel(parent, name));
      if (refused) return refused;
      const abs = folder.at(name);
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
    return this.each(parent, items, (folder, item) => this.writeOne(folder, parent, item, from));
  }

  private async writeOne(folder: Folder, parent: RelPath, item: WriteItem, from: SourceTree): Promise<StepResult> {
    const path = joinRel(parent, item.name);
    const refused = badName(path);
    if (refused) return refused;
    const tmpName = newTempName();
    const tmp = folder.at(tmpName);
    // Removed on process exit by its plain path (its name is unpredictable, so that path can only be ours).
    const flying = inFlight([toAbs(this.root, joinRel(parent, tmpName))]);
    const fromTree = item.content.type === 'tree';
    let placed = false;
    // A tree's file must first be as the scan saw it, then as the last try left it: one caught in the middle of a
    // rewrite that has not settled is only looked at again, never copied.
    let last: string | undefined;
    let waited = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        let source: OpenedFile | Uint8Array | 'vanished';
        if (item.content.type === 'bytes') source = item.content.data;
        else if (item.content.type === 'file') source = await openRegular(item.content.path);
        else source = await from.open(item.content.path);
        if (source === 'vanished') return vanished;
        let result: 'done' | 'torn';
        try {
          if (!(source instanceof Uint8Array) && waited < RECENT_WAIT_MS && isRecent(source.changedMs)) {
            // Changed within the last clock ticks: it may still be being written (file times move once a tick, so a
            // write in the same tick as our look could go unseen). Look again once it is older; not a try.
            await sleep(RECENT_MS / 2);
            waited += RECENT_MS / 2;
            attempt--;
            continue;
          }
          if (!(source instanceof Uint8Array) && fromTree) {
            // Not the file the scan saw (replaced, or reached through a folder swapped for a link): not copied now.
            if (item.source.ino !== 0 && source.entry.ino !== item.source.ino) return vanished;
            const settled = last === undefined
              ? source.entry.size === item.source.size && sameMtime(source.entry.mtimeMs, item.source.mtimeMs)
              : source.version === last;
            last = source.version;
            if (!settled) result = 'torn';
            else {
              result = await writeTemp(tmp, source, item.mode, item.source.mtimeMs, true, this.caps.modes);
              if (result === 'torn') last = await source.versionNow();
            }
          } else {
            // Other contents (a vinyl file) are stamped from the entry they stand for.
            result = await writeTemp(tmp, source, item.mode ?? item.source.mode, item.source.mtimeMs, false, this.caps.modes);
          }
        } finally {
          if (!(source instanceof Uint8Array)) await source.close();
        }
        if (result === 'done') break;
        await unlink(tmp).catch(() => undefined);
        if (attempt >= TRIES) return { status: 'failed', error: { code: 'ETORN', message: 'source changed while being copied (3 tries); will retry next run' } };
      }
      const r = await this.place(tmp, folder.at(item.name), path, item.replace);
      placed = r.status === 'done';
      return r;
    } finally {
      if (!placed) await unlink(tmp).catch(() => undefined);
      flying.done();
    }
  }

  /** Renames `from` over nothing at `target` (entry `path`), or over exactly what `replace` describes (backed up first). */
  private async place(from: string, target: string, path: RelPath, replace: Fingerprint | undefined): Promise<StepResult> {
    if (replace) {
      const state = await checkExpected(target, replace);
      if (state === 'changed') return changed;
      if (state === 'ok') await this.backUp(target, path);
    } else if (await exists(target)) {
      // A case-insensitive disk that has this name under another case (a source holding both `A.txt` and `a.txt`).
      const twin = await twinName(dirname(target), baseName(path));
      if (twin === undefined) return changed;
      return { status: 'failed', error: { code: 'EEXIST', message: `the destination has ${JSON.stringify(twin)}, which this case-insensitive disk takes for the same name; not mirrored` } };
    }
    await renameSafely(from, target);
    return done;
  }

  setAttrs(parent: RelPath, items: readonly AttrItem[]): Promise<StepResult[]> {
    return this.each(parent, items, async (folder, item) => {
      // The root itself is the one folder named by its path (it is held by the run, never swapped under us).
      const abs = item.name === '' ? this.root : folder.at(item.name);
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
    return this.each(parent, items, async (folder, item) => {
      const abs = folder.at(item.name);
      const state = await checkExpected(abs, item.expect);
      if (state === 'gone') return vanished;
      if (state === 'changed') return changed;
      try {
        if (item.expect.kind === 'dir') await rmdirSafely(abs);
        else if (this.options.backup) await this.backUp(abs, joinRel(parent, item.name));
        else await unlinkSafely(abs);
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
    return this.each(parent, items, async (folder, item) => {
      const refused = badName(joinRel(parent, item.name));
      if (refused) return refused;
      const tmp = folder.at(newTempName());
      let placed = false;
      try {
        try {
          await makeLink(item.target, tmp, folder.at(''));
        } catch (err) {
          return linkFailure(err);
        }
        await lutimes(tmp, Date.now() / 1000, toUtimes(item.mtimeMs));
        const r = await this.place(tmp, folder.at(item.name), joinRel(parent, item.name), item.replace);
        placed = r.status === 'done';
        return r;
      } finally {
        if (!placed) await unlink(tmp).catch(() => undefined);
      }
    });
  }

  /**
   * `dst` is `src` itself under another case (a case-insensitive disk finds it under both): renamed by way of a
   * temporary name, since a direct rename keeps the old case on some disks (Wine's drives, some SMB servers).
   */
  private async renameCase(src: string, dst: string, tmp: string): Promise<StepResult> {
    await renameSafely(src, tmp);
    try {
      await renameSafely(tmp, dst);
    } catch (err) {
      await renameSafely(tmp, src).catch(() => undefined);
      throw err;
    }
    return done;
  }

  async rename(items: readonly RenameItem[]): Promise<StepResult[]> {
    const out: StepResult[] = [];
    for (const item of items) {
      let from: Folder | undefined;
      let to: Folder | undefined;
      try {
        const refused = badName(item.to);
        if (refused) {
          out.push(refused);
          continue;
        }
        from = this.folders.open(parentOf(item.from));
        to = this.folders.open(parentOf(item.to));
        const src = from.at(baseName(item.from));
        if (item.expect) {
          const state = await checkExpected(src, item.expect);
          if (state === 'gone') {
            out.push(vanished);
            continue;
          }
          if (state === 'changed') {
            out.push(changed);
            continue;
          }
        }
        const dst = to.at(baseName(item.to));
        if (!item.replace && (await sameEntryOtherCase(src, dst, item.from, item.to))) {
          out.push(await this.renameCase(src, dst, from.at(newTempName())));
          continue;
        }
        out.push(await this.place(src, dst, item.to, item.replace));
      } catch (err) {
        out.push(failure(err));
      } finally {
        from?.close();
        to?.close();
      }
    }
    return out;
  }
}
