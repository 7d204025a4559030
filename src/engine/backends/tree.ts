/**
 * The storage seam: the engine reads and writes a tree only through these interfaces. One implementation per kind of
 * tree (`native`: the addon, every operation relative to a folder handle opened without following links; `js`: the
 * portable path; `sftp`: a folder on another machine), chosen once per run in backends/choose.ts and passed down.
 * The planner never sees a tree; scan, hash and apply call only what is here.
 *
 * Every path is a RelPath below the tree's root ('' is the root). No operation may leave the root: a folder on the
 * way that is not a real folder (a symlink, a file) makes the operation fail with code EUNSAFE, never follow it.
 * Operations come in batches (one folder's worth of items, or any list for renames): a backend may run a batch in
 * one trip to a thread (native), item by item (js) or pipelined over the network (sftp). Each item gets its own
 * result, in order; one bad item never fails its batch.
 */
import type { HashAlgorithm } from '../options.js';
import type { FilterRules } from '../scan/filter.js';
import type { DirEntry, FileEntry, Fingerprint, OutcomeStatus, RelPath, Snapshot } from '../types.js';

/** Which implementation a tree is; ABSYNC_TRACE, `--version` and `--json` name it. */
export type TreeKind = 'native' | 'js' | 'sftp';

/** What a tree can store, so the planner compares only what survives a round trip. */
export interface TreeCaps {
  /** The mtime grid the tree stores times on, in microseconds (they are truncated to it): 1 locally, 1e6 on SFTP v3. */
  readonly mtimeStepUs: number;
  /** Why the grid is coarser than the tree could do, when it is not what the tree is (a remote shell that was silent). */
  readonly mtimeStepWhy?: string;
  /**
   * How far a stored mtime may land from the one that was set, in microseconds: 0 where it is exact, 2 on Windows
   * (libuv converts times to 100 ns ticks through a double, which lands on a ~1.6 us grid).
   */
  readonly mtimeSlopUs: number;
  /** Permission bits are kept (false on FAT and most Windows file systems, where chmod means little). */
  readonly modes: boolean;
  /** Symlinks can be created (Windows needs a privilege or Developer Mode). */
  readonly symlinks: boolean;
  /** Names that differ only in case are the same entry (NTFS, APFS by default). */
  readonly caseInsensitive: boolean;
}

/** The result of one item of a batch: Outcome without its action (apply/outcome.ts adds it). */
export interface StepResult {
  readonly status: Exclude<OutcomeStatus, 'skipped'>;
  /** Bytes written, for file writes that are done. */
  readonly bytes?: number;
  /** Set when `status` is 'failed': an errno-style code (EUNSAFE for a refused link) and a one-line cause. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** A file to hash: a path in the tree, or (local trees only) an absolute local path outside it. */
export type HashTarget = RelPath | { readonly file: string };

/** What scan is asked for. */
export interface ScanRequest {
  readonly side: 'source' | 'destination';
  /** What is left out (exclude/include globs, the ignore file's rules); compiled by the tree. */
  readonly rules: FilterRules;
  /** Only these paths (and everything below the folders among them), plus their parent folders: an incremental run. */
  readonly scope?: readonly RelPath[];
  /**
   * Build the snapshot on this thread only once this settles (a tree that walks on other threads may hold its
   * results until then): a remote run's early source scan leaves the main thread to the SSH handshake.
   */
  readonly after?: Promise<void>;
}

/** A regular file of a tree, opened for reading: never a FIFO or device, never through a link. */
export interface OpenedFile {
  /** The file as opened (fstat of the open handle). */
  readonly entry: FileEntry;
  /** Inode, size, mtime and ctime at open, as one comparable token: equal tokens mean nothing wrote to the file between. */
  readonly version: string;
  /** The file's ctime at open, in ms (a file changed within the last clock ticks may still be being written). */
  readonly changedMs: number;
  /** The same token now (for a copy that must start from the state the last try ended with). */
  versionNow(): Promise<string>;
  /** Reads up to `length` bytes at `position` into `buffer`; 0 at the end. */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /**
   * True when the file is still the one that was opened and nothing wrote to it since (inode, size, mtime, ctime of the
   * handle, and the path still names it): a copy made between opening and this check holds one version of the file.
   */
  unchanged(): Promise<boolean>;
  close(): Promise<void>;
}

/** Where a written file's bytes come from. */
export type Content =
  /** A file of the run's source tree (the usual case). */
  | { readonly type: 'tree'; readonly path: RelPath }
  /** A local file outside any tree (a vinyl file with `read: false`, a spooled stream): opened like a tree's file. */
  | { readonly type: 'file'; readonly path: string }
  /** Bytes in memory (a vinyl Buffer). */
  | { readonly type: 'bytes'; readonly data: Uint8Array };

/** Every tree: scanning and hashing. */
export interface Tree {
  readonly kind: TreeKind;
  /** The root as users name it (an absolute local path, or `user@host:/path`). */
  readonly root: string;
  readonly caps: TreeCaps;
  /** Lists the tree without following symlinks; an unreadable entry is a `problem` entry, never an empty folder. */
  scan(request: ScanRequest): Promise<Snapshot>;
  /** The root folder's own attributes, or undefined when it does not exist. */
  rootEntry(): Promise<DirEntry | undefined>;
  /**
   * Hex digests of regular files of the tree (or, for a local tree, of local files outside it, named `{ file }`: a
   * vinyl file's bytes on disk); undefined where a file could not be read or is not a regular file any more.
   */
  hash(paths: readonly HashTarget[], algorithm: HashAlgorithm): Promise<(string | undefined)[]>;
  /**
   * Paths per hash() call this tree wants (default 64, sized for local threads). A remote tree wants thousands: each
   * call is a script on the server, a round trip and several process starts.
   */
  readonly hashBatch?: number;
  /** Closes handles and connections; the tree is not used after. */
  close(): Promise<void>;
}

/** The side a run reads from. */
export interface SourceTree extends Tree {
  /** Opens a file for reading; 'vanished' when it is gone or no longer a regular file. */
  open(path: RelPath): Promise<OpenedFile | 'vanished'>;
  /**
   * Where the tree can (the native addon): reads small files of one folder whole into `into`, each at its offset, in
   * one trip. True where those bytes are one whole version of the file as the scan saw it (inode, size, mtime, mode),
   * not changed within the last `recentMs` and still going by its name once read; false leaves the file to open(),
   * whose caller waits, retries and reports.
   */
  readWhole?(parent: RelPath, files: readonly WholeRead[], into: Uint8Array, recentMs: number): Promise<boolean[]>;
}

/** A file of `parent` for SourceTree.readWhole. */
export interface WholeRead {
  readonly name: string;
  /** The file as the scan saw it. */
  readonly source: FileEntry;
  /** Where its bytes go in the buffer (source.size of them). */
  readonly offset: number;
}

/** One file to write into a folder: to a fresh temporary name, given its mode and mtime, then renamed into place. */
export interface WriteItem {
  readonly name: string;
  readonly content: Content;
  /** The source file as scanned; the copy is checked against what was actually read, and stamped from that. */
  readonly source: FileEntry;
  /** Permission bits to give instead of the source's (`perms: false`). */
  readonly mode?: number;
  /** For an update: the destination file the scan saw, the only thing it may replace (moved to the backup first). */
  readonly replace?: Fingerprint;
}

export interface AttrItem {
  readonly name: string;
  readonly kind: 'file' | 'dir' | 'symlink';
  /** Permission bits to set; undefined leaves them. */
  readonly mode?: number;
  /** Mtime to set, in ms (whole microseconds); undefined leaves it. */
  readonly mtimeMs?: number;
}

export interface RemoveItem {
  readonly name: string;
  /** What the scan saw: removed only if it is still that (a folder only once empty; never recursively). */
  readonly expect: Fingerprint;
}

export interface LinkItem {
  readonly name: string;
  readonly target: string;
  readonly mtimeMs: number;
  /** The link the scan saw at this name, if it replaces one. */
  readonly replace?: Fingerprint;
}

export interface RenameItem {
  readonly from: RelPath;
  readonly to: RelPath;
  /** What must be at `from`. */
  readonly expect?: Fingerprint;
  /** What may be at `to` and is replaced (moved to the backup first); without it, `to` must not exist. */
  readonly replace?: Fingerprint;
}

/** A held lock on a destination. */
export interface TreeLock {
  /**
   * Frees the lock. With `refused`, the run changed nothing, so the root is left as it was found: its mtime restored,
   * and the root removed again if this run created it and it is still empty.
   */
  release(options?: { readonly refused?: boolean }): Promise<void>;
  /**
   * Asked right after release() begins: true when what is asked of the tree from now on reaches it after the
   * release, on one ordered channel (a remote helper), so the root's times need not wait for the release's answer.
   */
  inOrderAfterRelease?(): boolean;
}

/** The side a run writes to. With a backup folder, whatever a step replaces or deletes is moved there instead. */
export interface DestinationTree extends Tree {
  /** Resolves once the tree knows what it can store (a remote tree whose exec probe was still running). */
  ready?(): Promise<void>;
  /**
   * Takes the destination's lock (one run at a time), creating the root first if `create`. Waits up to `timeoutMs`
   * for another run; throws AbsyncError E_LOCKED when it cannot, or when something that is not a lock file is there.
   * `signal` ends the wait early (E_LOCKED too): a stopped run does not wait out the timeout.
   */
  lock(timeoutMs: number, create: boolean, signal?: AbortSignal): Promise<TreeLock>;
  /** A fresh temporary name: unpredictable, made only by the engine (reserved.ts recognises it). */
  tempName(): string;
  /**
   * Told once, before the apply, how many bytes of file content the plan writes: a remote tree starts what a big
   * transfer wants (a second writer on the server) while the folders are made, not once the writes are under way.
   */
  willWrite?(bytes: number): void;
  /** Removes leftover temporaries of a killed run (only regular files and links with engine-made names). */
  removeLeftovers(paths: readonly RelPath[]): Promise<void>;
  makeDirs(parent: RelPath, items: readonly { readonly name: string }[]): Promise<StepResult[]>;
  writeFiles(parent: RelPath, items: readonly WriteItem[], from: SourceTree): Promise<StepResult[]>;
  /** Attributes without following links; the root itself is parent '' with name ''. */
  setAttrs(parent: RelPath, items: readonly AttrItem[]): Promise<StepResult[]>;
  remove(parent: RelPath, items: readonly RemoveItem[]): Promise<StepResult[]>;
  symlinks(parent: RelPath, items: readonly LinkItem[]): Promise<StepResult[]>;
  rename(items: readonly RenameItem[]): Promise<StepResult[]>;
  /**
   * Both trees in one call when this tree knows a faster way for this source (the native addon walks both on two
   * threads and leaves identical pairs out); undefined when it does not, and the scan phase scans each tree.
   */
  scanPair?(source: SourceTree, request: PairScanRequest): Promise<{ source: Snapshot; destination: Snapshot }> | undefined;
}

/** What a pair scan is asked for. */
export interface PairScanRequest {
  readonly rules: FilterRules;
  /** Leave identical file/symlink pairs out of both snapshots (plan/omit-unchanged.ts): the quick check's resync. */
  readonly omitUnchanged: boolean;
  /** Whether a mode difference makes a pair differ (false with `perms: false`). */
  readonly compareModes: boolean;
}
