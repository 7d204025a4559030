/**
 * A local tree through the native addon (Linux): the root is held open for the run, and every operation works
 * relative to a folder opened below it with openat2(RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH), so no symlink is ever
 * followed, even if another process swaps a folder for one mid-run. Renames never replace what they do not expect
 * (RENAME_NOREPLACE; RENAME_EXCHANGE, then a check of what came out), and the backup folder is a second tree with the
 * same rules. Each batch is one trip to a libuv pool thread (native/*.c).
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, read as readFd, readSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { relative } from 'node:path';
import { promisify } from 'node:util';
import { isGone } from '../../errors.js';
import type { HashAlgorithm } from '../../options.js';
import { isInsideAbs, parentOf, toAbs } from '../../paths.js';
import { newTempName } from '../../reserved.js';
import { createFilter } from '../../scan/filter.js';
import { toEntry } from '../../scan/to-entry.js';
import { ctimeOf } from '../../times.js';
import type { DirEntry, FileEntry, RelPath, Snapshot } from '../../types.js';
import { whileInFlight } from '../local/in-flight.js';
import { acquireLock } from '../local/lock.js';
import { localCaps, prepareRoot } from '../local/root.js';
import { versionOf } from '../local-js/js-files.js';
import { scanTree } from '../local-js/scan-tree.js';
import type {
  AttrItem, DestinationTree, HashTarget, LinkItem, OpenedFile, PairScanRequest, RemoveItem, RenameItem, ScanRequest, SourceTree, StepResult,
  TreeCaps, TreeLock, WholeRead, WriteItem,
} from '../tree.js';
import type { Addon } from './addon.js';
import { decodeResults, expectNumbers, KIND } from './results.js';
import { scanPairNative, scanTreeNative } from './scan.js';
import { WholeReads } from './whole-reads.js';

const readAsync = promisify(readFd);
/**
 * Reads up to this size are made on the main thread. A trip to libuv's pool costs two thread wake-ups, which on a
 * busy 2-core machine cost more than reading a small file from the page cache (a remote first copy of 20,000 small
 * files spent more main-thread time waiting on fstat/read/close trips than on SSH). fstat and close never wait for
 * the disk and are always made here. Bigger reads stay on the pool: they may wait for the disk, and run in parallel.
 */
const SYNC_READ_MAX = 64 << 10;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;
const OP = { mkdir: 0, attrs: 1 } as const;
const SOURCE_KIND = { tree: 0, file: 1, bytes: 2 } as const;

const where = (parent: RelPath, name: string): string => (parent === '' ? name : `${parent}/${name}`);

/** A file opened below the root by the addon, read through its raw descriptor. */
class NativeOpenedFile implements OpenedFile {
  readonly version: string;
  readonly changedMs: number;
  constructor(private readonly fd: number, readonly entry: FileEntry, private readonly st: import('node:fs').BigIntStats,
    private readonly reopen: () => number | undefined) {
    this.version = versionOf(st);
    this.changedMs = ctimeOf(st);
  }

  async versionNow(): Promise<string> {
    return versionOf(fstatSync(this.fd, { bigint: true }));
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    if (length <= SYNC_READ_MAX) return readSync(this.fd, buffer, offset, length, position);
    return (await readAsync(this.fd, buffer, offset, length, position)).bytesRead;
  }

  async unchanged(): Promise<boolean> {
    const now = fstatSync(this.fd, { bigint: true });
    const a = this.st;
    if (versionOf(now) !== this.version) return false;
    const again = this.reopen();
    if (again === undefined) return false;
    try {
      return fstatSync(again, { bigint: true }).ino === a.ino;
    } finally {
      closeSync(again);
    }
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }
}

export interface NativeTreeOptions {
  /** Absolute path of a backup folder (inside or outside the tree), or undefined. */
  readonly backup?: string;
}

export class NativeTree implements SourceTree, DestinationTree {
  readonly kind = 'native' as const;
  /** The platform's rules until the lock measures the destination (local/caps-probe.ts). */
  caps: TreeCaps = localCaps();
  private rootFd: number | undefined;
  private backupFd: number | undefined;
  private wholeReads: WholeReads | undefined;

  constructor(private readonly addon: Addon, readonly root: string, private readonly options: NativeTreeOptions = {}) {}

  /** The root, held open from its first use to close(). */
  fd(): number {
    this.rootFd ??= openSync(this.root, DIR_FLAGS);
    return this.rootFd;
  }

  /** The backup tree's root, made (below this root without following links, or by path outside it) on first need. */
  private backup(): number {
    const backup = this.options.backup;
    if (backup === undefined) return -1;
    if (this.backupFd === undefined) {
      if (isInsideAbs(backup, this.root)) this.backupFd = this.addon.openDir(this.fd(), relative(this.root, backup).split('\\').join('/'), true);
      else {
        mkdirSync(backup, { recursive: true });
        this.backupFd = openSync(backup, DIR_FLAGS);
      }
    }
    return this.backupFd;
  }

  async rootEntry(): Promise<DirEntry | undefined> {
    const st = await lstat(this.root, { bigint: true }).catch(() => undefined);
    const e = st ? toEntry(st, () => '') : undefined;
    return e?.kind === 'dir' ? e : undefined;
  }

  async scan(request: ScanRequest): Promise<Snapshot> {
    if (!(await this.rootEntry())) return { root: this.root, entries: new Map() };
    const filter = createFilter(request.rules);
    // Filters and scopes are the JavaScript scanner's; what it lists is still only acted on through this tree.
    if (filter.active || request.scope) return scanTree(this.root, request.side, filter, request.scope);
    return scanTreeNative(this.addon, this.root, request.side, request.after);
  }

  scanPair(source: SourceTree, request: PairScanRequest): Promise<{ source: Snapshot; destination: Snapshot }> | undefined {
    if (!(source instanceof NativeTree) || createFilter(request.rules).active) return undefined;
    return scanPairNative(this.addon, source.root, this.root, request.omitUnchanged, request.compareModes);
  }

  async hash(paths: readonly HashTarget[], algorithm: HashAlgorithm): Promise<(string | undefined)[]> {
    const inTree = paths.filter((p): p is RelPath => typeof p === 'string');
    const outside = paths.filter((p): p is { file: string } => typeof p !== 'string').map((p) => p.file);
    const [a, b] = await Promise.all([
      inTree.length > 0 ? this.addon.hash(this.fd(), inTree, algorithm) : [],
      outside.length > 0 ? this.addon.hash(-1, outside, algorithm) : [],
    ]);
    let i = 0;
    let k = 0;
    return paths.map((p) => (typeof p === 'string' ? a[i++] : b[k++]));
  }

  async open(path: RelPath): Promise<OpenedFile | 'vanished'> {
    const reopen = (): number | undefined => {
      try {
        return this.addon.openFile(this.fd(), path);
      } catch {
        return undefined;
      }
    };
    let fd: number;
    try {
      fd = this.addon.openFile(this.fd(), path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (isGone(err) || code === 'ELOOP' || code === 'EXDEV') return 'vanished';
      throw err;
    }
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) {
      closeSync(fd);
      return 'vanished';
    }
    return new NativeOpenedFile(fd, toEntry(st, () => '') as FileEntry, st, reopen);
  }

  readWhole(parent: RelPath, files: readonly WholeRead[], into: Uint8Array, recentMs: number): Promise<boolean[]> {
    this.wholeReads ??= new WholeReads(this.addon, () => this.fd());
    return this.wholeReads.read(parent, files, into, recentMs);
  }

  async close(): Promise<void> {
    for (const fd of [this.rootFd, this.backupFd]) if (fd !== undefined) closeSync(fd);
    this.rootFd = this.backupFd = undefined;
  }

  async lock(timeoutMs: number, create: boolean, signal?: AbortSignal): Promise<TreeLock> {
    const created = await prepareRoot(this.root, create);
    const lock = await acquireLock({
      root: this.root, timeoutMs, created, ...(signal ? { signal } : {}),
      restoreTimes: (root, st) => {
        const fd = openSync(root, DIR_FLAGS);
        try {
          const b = 1_000_000_000n;
          this.addon.setTimes(fd, Number(st.atimeNs / b), Number(st.atimeNs % b), Number(st.mtimeNs / b), Number(st.mtimeNs % b));
        } finally {
          closeSync(fd);
        }
      },
    });
    if (lock.caps) this.caps = lock.caps;
    return lock;
  }

  /** The plain paths of temporaries about to be made in `parent`, for the exit-time clean-up (local/in-flight.ts). */
  private temporaries(parent: RelPath, tmps: readonly string[]): string[] {
    return tmps.map((t) => toAbs(this.root, where(parent, t)));
  }

  tempName(): string {
    return newTempName();
  }

  async removeLeftovers(paths: readonly RelPath[]): Promise<void> {
    const byParent = new Map<RelPath, string[]>();
    for (const p of paths) {
      const parent = parentOf(p);
      byParent.set(parent, [...(byParent.get(parent) ?? []), p.slice(parent === '' ? 0 : parent.length + 1)]);
    }
    for (const [parent, names] of byParent) {
      // Only a regular file or a link with an engine-made name: scan checked, and remove() checks the kind again.
      for (const kind of ['file', 'symlink'] as const) {
        await this.addon.remove(this.fd(), parent, names, names.flatMap(() => expectNumbers({ kind })), -1).catch(() => undefined);
      }
    }
  }

  async makeDirs(parent: RelPath, items: readonly { readonly name: string }[]): Promise<StepResult[]> {
    const names = items.map((i) => i.name);
    const r = await this.addon.dirs(this.fd(), parent, OP.mkdir, names, names.flatMap(() => [KIND.dir, -1, Number.NaN]));
    return decodeResults(this.addon, this.root, r, (i) => where(parent, names[i] as string));
  }

  async writeFiles(parent: RelPath, items: readonly WriteItem[], from: SourceTree): Promise<StepResult[]> {
    // The source root is opened only for a tree's files (vinyl contents may come from a folder that does not exist).
    const srcfd = from instanceof NativeTree && items.some((i) => i.content.type === 'tree') ? from.fd() : -1;
    const kinds: number[] = [];
    const sources: (string | Uint8Array)[] = [];
    const numbers: number[] = [];
    for (const item of items) {
      const c = item.content;
      // The addon reads a tree's file at the same relative path as it writes it (the source folder opened once per batch).
      if (c.type === 'tree' && c.path !== where(parent, item.name)) throw new Error(`native tree: ${c.path} is not read from ${where(parent, item.name)}`);
      kinds.push(c.type === 'tree' ? SOURCE_KIND.tree : c.type === 'file' ? SOURCE_KIND.file : SOURCE_KIND.bytes);
      sources.push(c.type === 'tree' ? item.name : c.type === 'file' ? c.path : c.data);
      const mode = item.mode ?? (c.type === 'tree' ? -1 : item.source.mode);
      const tree = c.type === 'tree';
      numbers.push(mode, tree && item.source.ino !== 0 ? item.source.ino : -1, tree ? item.source.size : -1, Math.round(item.source.mtimeMs * 1000), ...expectNumbers(item.replace));
    }
    // Local trees come in pairs of one kind (backends/choose.ts): a tree source here is always native.
    if (srcfd < 0 && kinds.includes(SOURCE_KIND.tree)) throw new Error('native tree: a tree source must be a native tree');
    const tmps = items.map(() => newTempName());
    const names = items.map((i) => i.name);
    const r = await whileInFlight(this.temporaries(parent, tmps), () =>
      this.addon.copy(this.fd(), parent, srcfd, kinds, sources, tmps, names, numbers, items.some((i) => i.replace) ? this.backup() : -1));
    return decodeResults(this.addon, this.root, r, (i) => where(parent, names[i] as string));
  }

  async setAttrs(parent: RelPath, items: readonly AttrItem[]): Promise<StepResult[]> {
    const names = items.map((i) => i.name);
    const numbers = items.flatMap((i) => [KIND[i.kind], i.mode ?? -1, i.mtimeMs ?? Number.NaN]);
    const r = await this.addon.dirs(this.fd(), parent, OP.attrs, names, numbers);
    return decodeResults(this.addon, this.root, r, (i) => where(parent, names[i] as string) || '.');
  }

  async remove(parent: RelPath, items: readonly RemoveItem[]): Promise<StepResult[]> {
    const names = items.map((i) => i.name);
    const backup = items.some((i) => i.expect.kind !== 'dir') ? this.backup() : -1;
    const r = await this.addon.remove(this.fd(), parent, names, items.flatMap((i) => expectNumbers(i.expect)), backup);
    return decodeResults(this.addon, this.root, r, (i) => where(parent, names[i] as string));
  }

  async symlinks(parent: RelPath, items: readonly LinkItem[]): Promise<StepResult[]> {
    const names = items.map((i) => i.name);
    const numbers = items.flatMap((i) => [i.mtimeMs, ...expectNumbers(i.replace)]);
    const tmps = items.map(() => newTempName());
    const r = await whileInFlight(this.temporaries(parent, tmps), () =>
      this.addon.links(this.fd(), parent, names, items.map((i) => i.target), tmps, numbers, items.some((i) => i.replace) ? this.backup() : -1));
    return decodeResults(this.addon, this.root, r, (i) => where(parent, names[i] as string));
  }

  async rename(items: readonly RenameItem[]): Promise<StepResult[]> {
    const numbers = items.flatMap((i) => [...expectNumbers(i.expect), ...expectNumbers(i.replace)]);
    const r = await this.addon.rename(
      this.fd(), items.map((i) => i.from), items.map((i) => i.to), numbers, items.some((i) => i.replace) ? this.backup() : -1,
    );
    return decodeResults(this.addon, this.root, r, (i) => (items[i] as RenameItem).to);
  }
}
