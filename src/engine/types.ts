/**
 * The data that flows between the engine's phases: scan -> plan -> apply -> summary.
 * Everything here is plain data, created once and never mutated.
 */

/** A `/`-separated path relative to a root; `''` is the root itself. Names are kept exactly as readdir gave them. */
export type RelPath = string;

/** A regular file. */
export interface FileEntry {
  readonly kind: 'file';
  readonly size: number;
  /** Modification time in milliseconds since the epoch, floored to the microsecond (see times.ts). */
  readonly mtimeMs: number;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  /** Inode number; used to notice that a file was swapped between scan and apply. */
  readonly ino: number;
}

/** A folder. */
export interface DirEntry {
  readonly kind: 'dir';
  readonly mode: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** A symbolic link, never followed. */
export interface SymlinkEntry {
  readonly kind: 'symlink';
  /** The link's target text, exactly as readlink returned it. */
  readonly target: string;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** A FIFO, socket or device: never opened, never mirrored. */
export interface SpecialEntry {
  readonly kind: 'special';
  readonly type: 'fifo' | 'socket' | 'char-device' | 'block-device' | 'unknown';
}

/**
 * An entry that could not be read (e.g. a folder without read permission). It blocks every delete and
 * overwrite at and below its path, so that an unreadable folder never looks empty.
 */
export interface ProblemEntry {
  readonly kind: 'problem';
  /** errno code such as EACCES. */
  readonly code: string;
  readonly message: string;
}

export type Entry = FileEntry | DirEntry | SymlinkEntry | SpecialEntry | ProblemEntry;
export type EntryKind = Entry['kind'];

/** Where a source file's bytes come from when they are not simply `<root>/<path>` on disk (the gulp plugin). */
export type ContentSource =
  /** A local file outside the tree (a vinyl file read: false, or a spooled stream), opened like a tree's file. */
  | { readonly type: 'path'; readonly path: string }
  | { readonly type: 'buffer'; readonly data: Uint8Array };

/** One side of a sync, as scanned. */
export interface Snapshot {
  /** Absolute path of the tree's root. */
  readonly root: string;
  /**
   * Every entry below the root, keyed by relative path; the root itself is not included. When `omitted` is set,
   * files and symlinks that are identical on both sides (plan/omit-unchanged.ts) are left out of both snapshots.
   */
  readonly entries: ReadonlyMap<RelPath, Entry>;
  /**
   * How many identical file/symlink pairs were left out of `entries` on both sides: they need no action, so the
   * planner never sees them (a no-change resync then plans over its folders only). Counts still include them.
   */
  readonly omitted?: number;
  /** Source only: contents that do not live at `<root>/<path>` (vinyl files). */
  readonly contents?: ReadonlyMap<RelPath, ContentSource>;
  /** The root folder's own attributes, when known (mirrored like any folder's). */
  readonly rootEntry?: DirEntry;
  /** Set when only these subtrees (and their parent folders) were scanned: an incremental run. */
  readonly scope?: readonly RelPath[];
  /** Paths the filters left out; the planner never deletes a folder that holds one. */
  readonly excluded?: readonly RelPath[];
  /** Destination only: leftover temporary files of an earlier, killed run (relative paths). */
  readonly leftovers?: readonly RelPath[];
  /** Paths skipped by filters that the planner must leave alone on the other side. */
  readonly warnings?: readonly ScanWarning[];
}

/** Something the scan noticed and skipped, which a user should hear about. */
export interface ScanWarning {
  readonly path: RelPath;
  readonly message: string;
}

/** Content digests for the paths the planner asked about; keys are relative paths. */
export interface DigestPair {
  readonly source?: string;
  readonly destination?: string;
}
export type Digests = ReadonlyMap<RelPath, DigestPair>;

/** What a destination entry looked like at scan time; apply refuses to destroy it if it changed since. */
export interface Fingerprint {
  readonly kind: EntryKind;
  readonly size?: number;
  readonly mtimeMs?: number;
  readonly ino?: number;
}

/** Why an entry is created, updated or removed (shown by --dry-run, like rsync's --itemize-changes). */
export type Reason =
  | 'missing'
  | 'size'
  | 'mtime'
  | 'content'
  | 'mode'
  | 'type'
  | 'target'
  | 'extraneous'
  | 'renamed';

interface ActionBase {
  /** Destination-relative path the action writes or removes. */
  readonly path: RelPath;
  readonly reason: Reason;
}

/** Create a folder (attributes are set later by a setAttrs action). */
export interface MkdirAction extends ActionBase { readonly op: 'mkdir'; readonly mode: number }
/** Write a file that does not exist in the destination. */
export interface CopyAction extends ActionBase {
  readonly op: 'copy';
  readonly source: FileEntry;
  /** The permission bits to give it when they are not the source's (`perms: false`); otherwise as read. */
  readonly mode?: number;
}
/** Overwrite a destination file whose content differs. */
export interface UpdateAction extends ActionBase {
  readonly op: 'update';
  readonly source: FileEntry;
  readonly expect: Fingerprint;
  /** As CopyAction's: with `perms: false`, the destination file's own mode. */
  readonly mode?: number;
}
/** Rename a whole destination folder from `from` to `path` in one step (`path` must not exist). */
export interface RenameAction extends ActionBase {
  readonly op: 'rename';
  readonly from: RelPath;
  /** What must be at `from`. */
  readonly expect: Fingerprint;
}
/**
 * File moves go in two steps through a temporary name, so that swaps and chains (A->B, B->C, A<->B) never overwrite
 * what is still to be moved: first the file at `path` is staged (before any delete) into temporary slot `slot` in the
 * destination root; apply picks the slot's unpredictable name.
 */
export interface StageAction extends ActionBase {
  readonly op: 'stage';
  readonly slot: number;
  /** What must be at `path`. */
  readonly expect: Fingerprint;
}
/** ...then, once folders exist, the staged file goes from its slot to `path`. */
export interface UnstageAction extends ActionBase {
  readonly op: 'unstage';
  readonly slot: number;
  /** Where the content was in the destination (reported as `origin -> path`). */
  readonly origin: RelPath;
  /** What is at `path` and is replaced, if anything. */
  readonly expect?: Fingerprint;
}
/** Remove a destination entry (a folder only once empty). */
export interface DeleteAction extends ActionBase { readonly op: 'delete'; readonly expect: Fingerprint }
/** Create a symlink with the source's target text. */
export interface SymlinkAction extends ActionBase {
  readonly op: 'symlink';
  readonly target: string;
  readonly mtimeMs: number;
  /** Set when an existing link is replaced (atomically, by renaming a new link over it). */
  readonly expect?: Fingerprint;
}
/** Set permission bits and/or mtime to match the source. */
export interface SetAttrsAction extends ActionBase {
  readonly op: 'setAttrs';
  readonly kind: 'file' | 'dir' | 'symlink';
  readonly mode?: number;
  readonly mtimeMs?: number;
}

export type Action =
  | MkdirAction
  | CopyAction
  | UpdateAction
  | RenameAction
  | StageAction
  | UnstageAction
  | DeleteAction
  | SymlinkAction
  | SetAttrsAction;
export type ActionOp = Action['op'];

/** What the planner decided, in execution order. */
export interface Plan {
  readonly actions: readonly Action[];
  /** Source entries that are skipped (special files, unreadable entries), reported as skipped. */
  readonly skipped: readonly Skip[];
  /** Bytes that copy and update actions will write. */
  readonly bytesToCopy: number;
  /** Entries that cannot be mirrored (unreadable source entries, unreadable destination folders): counted as failed. */
  readonly failures: readonly Failure[];
}

export interface Skip {
  readonly path: RelPath;
  readonly message: string;
}

export type OutcomeStatus = 'done' | 'failed' | 'vanished' | 'changed-since-scan' | 'skipped';

/** What happened to one action. */
export interface Outcome {
  readonly action: Action;
  readonly status: OutcomeStatus;
  readonly bytes: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/** One failure as reported to users: the path and the cause. */
export interface Failure {
  readonly path: RelPath;
  /** The action's op; 'scan' for an entry that could not be read; 'unlock' for a lock that could not be removed. */
  readonly op: ActionOp | 'scan' | 'unlock';
  readonly code: string;
  readonly message: string;
}

/** Actions counted by what the user sees them do. */
export interface ActionCounts {
  readonly copied: number;
  readonly updated: number;
  readonly deleted: number;
  readonly moved: number;
  /** Entries created that are not file copies: folders and symlinks. */
  readonly created: number;
  /** Attribute-only changes (mode, mtime). */
  readonly attrs: number;
}

/** The result of one run, shared by every face and log sink. */
export interface Summary extends ActionCounts {
  readonly source: string;
  readonly destination: string;
  readonly skipped: number;
  readonly failed: number;
  /** Entries that vanished or changed between scan and apply; the next run picks them up. */
  readonly vanished: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly dryRun: boolean;
  readonly failures: readonly Failure[];
  readonly skips: readonly Skip[];
  readonly moves: readonly { readonly from: RelPath; readonly to: RelPath }[];
  /** What the plan had of each kind (the counts above are what was done). */
  readonly planned: ActionCounts;
  /** Bytes the plan would write (`bytes` is what was written). */
  readonly bytesPlanned: number;
  /** Entries each scan saw (identical pairs left out of the snapshots included). */
  readonly scanned: { readonly source: number; readonly destination: number };
  /** Milliseconds spent scanning, planning (hashing included) and applying. */
  readonly phaseMs: { readonly scan: number; readonly plan: number; readonly apply: number };
  /**
   * 1,000,000 when the destination keeps and compares mtimes to the whole second only (a remote server that allows
   * SFTP alone: SFTP v3 carries no fractions); absent where it keeps finer times.
   */
  readonly mtimeStepUs?: number;
  /**
   * Why, when it is not for an SFTP-only server: the account may run commands, but its shell did not answer the
   * probe in time (a slow login shell), so this run used SFTP alone.
   */
  readonly mtimeStepWhy?: string;
  /** The engine that ran it: 'native' (the addon) or 'js' (Node's fs), as `absync --version` names it. */
  readonly engine?: 'native' | 'js' | 'sftp';
}

/** How far a run is: sent a few times a second while it applies, and once at the end of each phase. */
export interface Progress {
  /** The phase that just ended ('scan', 'plan'), is going on ('apply'), or 'done'. */
  readonly phase: 'scan' | 'plan' | 'apply' | 'done';
  /** Actions planned (0 until the plan exists) and finished (done, failed, vanished or skipped). */
  readonly actions: number;
  readonly actionsDone: number;
  /** Files to write (copies and updates) and written so far. */
  readonly files: number;
  readonly filesDone: number;
  /** Bytes to write and written so far (counted when each file is done). */
  readonly bytes: number;
  readonly bytesDone: number;
  /** Since the run started. */
  readonly elapsedMs: number;
}
