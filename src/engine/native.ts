/**
 * The optional native addon (native/*.c, built by `npm install` when a C compiler is there): the scan's walks, the
 * digests, and apply's file writes and folder steps, each a batch per trip to a libuv pool thread. Everything it does has a JavaScript path with the
 * same results, used when the addon is missing or ABSYNC_NO_NATIVE=1; tests compare the two.
 */
import { createRequire } from 'node:module';

/** The scanner's result for one tree: one row per entry, in columns (see scan/native-scan.ts). */
export interface NativeColumns {
  /** Relative paths separated by '\0'. */
  readonly paths: string;
  readonly kinds: Uint8Array;
  /** size, mtimeMs, mode, ino per row. */
  readonly numbers: Float64Array;
  /** Per row: -1, or the index in `texts` of its link target, special type or "code\nmessage". */
  readonly texts: readonly string[];
  readonly textIndex: Int32Array;
}

/** What `copy` resolves with. */
export const COPY = {
  done: 0,
  /** The source is gone, or is no longer a regular file. */
  gone: 1,
  /** The source kept changing while it was copied (3 tries). */
  torn: 2,
  /** A folder on the way from the destination root is a symlink or not a folder: nothing was written. */
  unsafe: 3,
  /** A system call failed: `errors[i]` holds "code\nmessage". */
  error: 4,
  /** An update found something else than what the scan saw at its path: nothing was replaced. */
  changed: 5,
} as const;
export type CopyResult = (typeof COPY)[keyof typeof COPY];

/** What `dirs` resolves with per folder. */
export const DIRS = { done: 0, gone: 1, changed: 2, unsafe: 3, error: 4 } as const;
export const DIR_OP = { mkdir: 0, attrs: 1 } as const;

/** Per-item results of a batch, and "code\nmessage" where a result is an error. */
export interface BatchResults {
  readonly results: Int32Array;
  readonly errors: readonly (string | undefined)[];
}

/** native/addon.c's ABSYNC_NATIVE_VERSION: an addon built from other sources is not used. */
const VERSION = 3;

export interface Addon {
  readonly version: number;
  scan(root: string, isDestination: boolean, tmpPrefix: string, lockName: string): Promise<NativeColumns>;
  /** Both trees at once (the destination on a second thread), identical pairs left out when `omitUnchanged`. */
  scanPair(
    source: string, destination: string, tmpPrefix: string, lockName: string, omitUnchanged: boolean,
  ): Promise<{ readonly source: NativeColumns; readonly destination: NativeColumns; readonly omitted: number }>;
  /**
   * Copies each `sources[i]` to `tmpNames[i]` in folder `parent` (relative to `root`, opened once for the batch), and
   * renames it to `finalNames[i]` if asked: for an update, only over the file `expect` describes (size, mtime ms,
   * inode at 3i..3i+2; NaN for a new file).
   */
  copy(
    root: string, parent: string, sources: readonly string[], tmpNames: readonly string[], finalNames: readonly string[],
    rename: boolean, expect: readonly number[],
  ): Promise<BatchResults>;
  /** Hex digests (md5, sha1 or sha256) of files on disk, undefined where one could not be read. */
  hash(paths: readonly string[], algorithm: string): Promise<(string | undefined)[]>;
  /**
   * Folders `names` in folder `parent` (relative to `root`, opened once): created (mode 0700 until their attributes
   * are set), or given `modes[i]` (-1: leave) and `mtimes[i]` (ms, NaN: leave) through the folder itself.
   */
  dirs(
    root: string, parent: string, op: (typeof DIR_OP)[keyof typeof DIR_OP], names: readonly string[], modes: readonly number[], mtimes: readonly number[],
  ): Promise<BatchResults>;
}

/** Set to true by the CLI's bundle (esbuild --define): its modules live in dist/cli, one folder above dist/src/engine. */
declare const ABSYNC_BUNDLE: boolean | undefined;
const ADDON = `${typeof ABSYNC_BUNDLE === 'boolean' && ABSYNC_BUNDLE ? '../..' : '../../..'}/build/Release/absync_native.node`;

let addon: Addon | null | undefined;
let why = '';

/** The addon, or undefined when it was not built or is switched off (callers then take their JavaScript path). */
export function nativeAddon(): Addon | undefined {
  if (addon === undefined) {
    addon = null;
    if (process.env['ABSYNC_NO_NATIVE'] === '1') why = 'ABSYNC_NO_NATIVE=1';
    else {
      try {
        // dist/src/engine/native.js (or dist/cli/*.js) -> build/Release at the package root.
        const loaded = createRequire(import.meta.url)(ADDON) as Addon;
        if (loaded.version === VERSION) addon = loaded;
        else why = `the built addon is version ${String(loaded.version)}, the code wants ${VERSION}: run npm rebuild`;
      } catch {
        why = 'not built';
      }
    }
  }
  return addon ?? undefined;
}

/** Why nativeAddon() is undefined ('' when it is loaded), for ABSYNC_TRACE. */
export function nativeAddonMissing(): string {
  nativeAddon();
  return why;
}
