/**
 * The parts of a vinyl file the gulp faces use, declared here so that neither the engine nor the package's types
 * depend on vinyl (a devDependency; gulp hands the objects in).
 */
import type { RelPath } from '../engine/index.js';

/** What happened to a file the plugin received, as seen by the destination. */
export type FileAction =
  /** Written where the destination had nothing. */
  | 'copied'
  /** Written over different content. */
  | 'updated'
  /** Moved inside the destination from where identical content was (or inside a renamed folder). */
  | 'moved'
  /** A folder or symlink created. */
  | 'created'
  /** Only mode or mtime changed. */
  | 'attrs'
  /** Already identical. */
  | 'unchanged'
  /** Left out by `exclude`: neither written nor deleted. */
  | 'excluded'
  /** Not mirrored: a special file, a name the engine reserves, or the stream's base folder itself. */
  | 'skipped'
  /** Changed between planning and writing; the next run picks it up. */
  | 'vanished'
  | 'failed';

/** Attached to every file the plugin passes on, as `file.absync`. */
export interface FileReport {
  readonly action: FileAction;
  /** Destination-relative path (`/`-separated). */
  readonly path: RelPath;
  /** Set for a dry run: `action` is what would have happened. */
  readonly dryRun?: boolean;
  /** Set when the contents look like a binary file decoded as utf8 by gulp.src (see encoding-check.ts). */
  readonly warning?: string;
}

/** The subset of `fs.Stats` a vinyl file may carry (plugins sometimes set only some fields). */
export interface VinylStat {
  mode?: number;
  size?: number;
  mtime?: Date;
  mtimeMs?: number;
  /** Present when a plugin gave bigint stats: exact, and preferred. */
  mtimeNs?: bigint;
  isDirectory?(): boolean;
  isSymbolicLink?(): boolean;
}

export interface VinylFile {
  readonly path: string;
  readonly base: string;
  readonly relative: string;
  /** Every path the file had, first to last (a plugin that renames it adds one). */
  readonly history?: readonly string[];
  contents: Buffer | NodeJS.ReadableStream | null;
  stat?: VinylStat | null;
  readonly symlink?: string | null;
  isBuffer(): boolean;
  isStream(): boolean;
  isNull(): boolean;
  isDirectory(): boolean;
  isSymbolic(): boolean;
  absync?: FileReport;
}
