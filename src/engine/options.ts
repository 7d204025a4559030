/**
 * Public options in, validated and frozen options out. Every face (CLI, plugin, task, watch) goes through here,
 * so a bad option throws when the face is created, never mid-run. CLI flags map one-to-one onto these names.
 */
import { resolve } from 'node:path';
import { AbsyncError } from './errors.js';

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256';

/** Options shared by every face. All are optional except where a face says otherwise. */
export interface SyncOptions {
  /** Folder to mirror from. Required by the CLI, `sync` and `absyncTask`; the plugin takes files from its stream. */
  source?: string;
  /** Folder to mirror into; created if missing. */
  destination?: string;
  /** Compare file contents (hash) whenever sizes match, even if mtimes match. Default false (size + mtime). */
  checksum?: boolean;
  /** Hash used by `checksum` (and then to confirm renames). Default 'md5', as the original AbSync. Without `checksum`, renames are confirmed with SHA-1, the fastest here. */
  hashAlgorithm?: HashAlgorithm;
  /** Globs (picomatch, against the relative path; a pattern without `/` also matches any base name). Excluded paths are neither copied nor deleted. */
  exclude?: string | readonly string[];
  /** Globs that win over `exclude`. */
  include?: string | readonly string[];
  /** Destination globs that are never deleted or overwritten. */
  protect?: string | readonly string[];
  /** Plan and report, change nothing. Default false. */
  dryRun?: boolean;
  /** Delete destination entries the source does not have. Default true. */
  delete?: boolean;
  /** Turn a delete plus an identical copy into a rename inside the destination. Default true. */
  detectRenames?: boolean;
  /** Refuse the whole run if it would delete more than this many entries. Default: no limit. */
  maxDelete?: number;
  /** Allow an empty source to empty a non-empty destination. Default false. */
  allowEmptySource?: boolean;
  /** How many file operations run at once. Default 32. */
  concurrency?: number;
  /** How long to wait for another run's lock on the destination, in milliseconds. Default 0 (refuse at once). */
  lockTimeout?: number;
  /** Name of the ignore file (gitignore syntax) read from the source root; false for none. Default '.absyncignore'. */
  ignoreFile?: string | false;
  /**
   * Move deleted and overwritten destination files here (keeping their relative paths) instead of destroying them.
   * A relative path is relative to the destination, as in rsync; inside the destination it is left out of the mirror.
   */
  backupDir?: string;
}

/** Complete, validated, frozen options as the engine sees them. */
export interface ResolvedOptions {
  readonly source: string;
  readonly destination: string;
  readonly checksum: boolean;
  readonly hashAlgorithm: HashAlgorithm;
  readonly exclude: readonly string[];
  readonly include: readonly string[];
  readonly protect: readonly string[];
  readonly dryRun: boolean;
  readonly delete: boolean;
  readonly detectRenames: boolean;
  readonly maxDelete: number;
  readonly allowEmptySource: boolean;
  readonly concurrency: number;
  readonly lockTimeout: number;
  readonly ignoreFile: string | false;
  /** Absolute, or '' for none. */
  readonly backupDir: string;
}

const KNOWN = new Set([
  'source', 'destination', 'checksum', 'hashAlgorithm', 'exclude', 'include', 'protect', 'dryRun', 'delete',
  'detectRenames', 'maxDelete', 'allowEmptySource', 'concurrency', 'lockTimeout', 'ignoreFile', 'backupDir',
]);

function bad(message: string): never {
  throw new AbsyncError('E_OPTIONS', `invalid option: ${message}`);
}

function bool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') bad(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function count(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (Number.isFinite(value) && !Number.isInteger(value))) {
    bad(`${name} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function globs(value: unknown, name: string): readonly string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((g) => typeof g !== 'string' || g === '')) {
    bad(`${name} must be a glob or a list of globs`);
  }
  return Object.freeze([...(list as string[])]);
}

function folder(value: unknown, name: string, required: boolean): string {
  if (value === undefined || value === null) {
    if (required) bad(`${name} is required`);
    return '';
  }
  if (typeof value !== 'string' || value.trim() === '') bad(`${name} must be a non-empty path, got ${JSON.stringify(value)}`);
  return resolve(value);
}

function ignoreFileOf(value: unknown): string | false {
  if (value === undefined) return '.absyncignore';
  if (value === false) return false;
  if (typeof value !== 'string' || value === '' || value.includes('/') || value.includes('\\')) {
    bad(`ignoreFile must be a file name in the source root, or false; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates public options; `needSource` is false for the plugin, whose source is its stream. */
export function resolveOptions(input: SyncOptions, needSource = true): ResolvedOptions {
  if (typeof input !== 'object' || input === null) bad('options must be an object');
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) bad(`unknown option "${key}"`);
  const algo = input.hashAlgorithm ?? 'md5';
  const destination = folder(input.destination, 'destination', true);
  // Validated like a folder, then resolved against the destination (an absolute path stays as it is).
  const backupDir = input.backupDir === undefined ? '' : resolve(destination, folder(input.backupDir, 'backupDir', true) && input.backupDir);
  if (algo !== 'md5' && algo !== 'sha1' && algo !== 'sha256') bad(`hashAlgorithm must be md5, sha1 or sha256, got ${JSON.stringify(algo)}`);
  return Object.freeze({
    source: folder(input.source, 'source', needSource),
    destination,
    checksum: bool(input.checksum, 'checksum', false),
    hashAlgorithm: algo,
    exclude: globs(input.exclude, 'exclude'),
    include: globs(input.include, 'include'),
    protect: globs(input.protect, 'protect'),
    dryRun: bool(input.dryRun, 'dryRun', false),
    delete: bool(input.delete, 'delete', true),
    detectRenames: bool(input.detectRenames, 'detectRenames', true),
    maxDelete: count(input.maxDelete, 'maxDelete', Infinity, 0),
    allowEmptySource: bool(input.allowEmptySource, 'allowEmptySource', false),
    concurrency: count(input.concurrency, 'concurrency', 32, 1),
    lockTimeout: count(input.lockTimeout, 'lockTimeout', 0, 0),
    ignoreFile: ignoreFileOf(input.ignoreFile),
    backupDir,
  });
}
