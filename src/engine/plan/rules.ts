/** The options that shape a plan, as the planner sees them (sync.ts builds them from the run's options and trees). */
import type { RelPath } from '../types.js';

export interface PlanRules {
  /** Compare contents (digests) whenever sizes match, instead of trusting size + mtime. */
  readonly checksum: boolean;
  /** Delete destination entries the source does not have. */
  readonly delete: boolean;
  /** Move identical content inside the destination instead of copying it (files, and whole folders). */
  readonly detectRenames: boolean;
  /** Destination entries that are never deleted or overwritten (and the folders that hold them stay). */
  readonly isProtected?: (path: RelPath, isDir: boolean) => boolean;
  /**
   * Destination entries to leave as they are, each on its own: unlike `isProtected`, a kept folder does not keep
   * what lies below it. (The gulp plugin: entries a partial stream did not carry whose source still exists.)
   */
  readonly isKept?: (path: RelPath, isDir: boolean) => boolean;
  /** rsync --size-only: a file whose size matches is unchanged, whatever its mtime (its mtime is still set). */
  readonly sizeOnly?: boolean;
  /** rsync --ignore-existing: never touch a destination entry that exists where the source has a non-folder. */
  readonly ignoreExisting?: boolean;
  /** rsync -u: leave a destination file alone when it is newer than the source file. */
  readonly update?: boolean;
  /** Mirror permission bits (default). Off (rsync --no-perms): new entries get the source's mode minus `umask`, existing ones keep theirs. */
  readonly perms?: boolean;
  /** With `perms: false`, the bits taken away from new entries' modes (the process's umask, passed in: the planner reads no state). */
  readonly umask?: number;
  /** Two mtimes are the same when they differ by at most this many microseconds (rsync --modify-window, and the destination's precision). */
  readonly mtimeWindowUs?: number;
  /** The destination keeps mtimes only to this many microseconds (1e6: whole seconds): both sides are compared truncated to it. */
  readonly mtimeStepUs?: number;
}
