/**
 * The optional native addon (native/*.c, Node-API; built by `npm install` where a C compiler is, or shipped
 * prebuilt): every destination operation relative to a folder handle opened without following links, the scan's
 * walks and the digests, each a batch per trip to a libuv pool thread. It is loaded once, checked against the
 * version these sources expect, and otherwise left alone (the JavaScript trees take over).
 */
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The scanner's result for one tree: one row per entry, in columns (see scan.ts). */
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

/** Per-item results of a batch, and "code\nmessage" where a result is an error. */
export interface BatchResults {
  readonly results: Int32Array;
  readonly errors: readonly (string | undefined)[];
}

/** The addon's result codes by name (native/results.h), as it exports them. */
export interface ResultCodes {
  readonly done: number;
  readonly vanished: number;
  readonly changed: number;
  readonly unsafe: number;
  readonly error: number;
  readonly torn: number;
}

/** The functions of native/addon.c; argument layouts are described in each C file. */
export interface Addon {
  readonly version: number;
  readonly results: ResultCodes;
  scan(root: string, isDestination: boolean, lockName: string): Promise<NativeColumns>;
  scanPair(source: string, destination: string, lockName: string, omitUnchanged: boolean, compareModes: boolean): Promise<{
    readonly source: NativeColumns; readonly destination: NativeColumns; readonly omitted: number;
  }>;
  copy(
    rootfd: number, parent: string, srcfd: number, kinds: readonly number[], sources: readonly (string | Uint8Array)[],
    tmpNames: readonly string[], finalNames: readonly string[], numbers: readonly number[], backupfd: number,
  ): Promise<BatchResults>;
  dirs(rootfd: number, parent: string, op: number, names: readonly string[], numbers: readonly number[]): Promise<BatchResults>;
  openDir(rootfd: number, rel: string, create: boolean): number;
  openFile(rootfd: number, rel: string): number;
  /** Returns 0 or an errno. */
  setTimes(fd: number, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): number;
  remove(rootfd: number, parent: string, names: readonly string[], expects: readonly number[], backupfd: number): Promise<BatchResults>;
  links(
    rootfd: number, parent: string, names: readonly string[], targets: readonly string[], tmpNames: readonly string[],
    numbers: readonly number[], backupfd: number,
  ): Promise<BatchResults>;
  rename(rootfd: number, froms: readonly string[], tos: readonly string[], numbers: readonly number[], backupfd: number): Promise<BatchResults>;
  hash(rootfd: number, paths: readonly string[], algorithm: string): Promise<(string | undefined)[]>;
  /** One folder (parents) and one buffer (outs) per batch; 6 numbers per file, the last its batch (native/read.c). */
  readFiles(rootfd: number, parents: readonly string[], names: readonly string[], numbers: readonly number[], outs: readonly Uint8Array[], recentNs: number): Promise<BatchResults>;
}

/** native/addon.c's ABSYNC_NATIVE_VERSION: an addon built from other sources is not used. */
const VERSION = 7;

/** Set to true by the CLI's bundle (esbuild --define): its modules live in dist/cli, not dist/src/engine/backends/local-native. */
declare const ABSYNC_BUNDLE: boolean | undefined;
/** The package's root, where node-gyp builds (build/Release) and where the shipped prebuilt addon is (prebuilds/). */
const PACKAGE_ROOT = new URL(typeof ABSYNC_BUNDLE === 'boolean' && ABSYNC_BUNDLE ? '../../' : '../../../../../', import.meta.url);

let addon: Addon | null | undefined;
let why = '';
let file = '';

/**
 * The addon, or undefined when there is none for this system, it does not fit these sources, or it is switched off
 * (ABSYNC_NO_NATIVE=1). node-gyp-build picks it: one built here by `npm install` (build/Release) first, else the
 * prebuilt one the package ships for this platform, architecture and libc (prebuilds/linux-x64/*.glibc.node).
 */
export function nativeAddon(): Addon | undefined {
  if (addon === undefined) {
    addon = null;
    if (process.env['ABSYNC_NO_NATIVE'] === '1') why = 'ABSYNC_NO_NATIVE=1';
    else if (process.platform !== 'linux') why = `not built for ${process.platform} (Linux only)`;
    else {
      const require = createRequire(import.meta.url);
      try {
        file = (require('node-gyp-build') as { path(dir: string): string }).path(fileURLToPath(PACKAGE_ROOT));
      } catch {
        why = 'not built, and no prebuilt addon for this system';
      }
      if (file !== '') {
        try {
          const loaded = require(file) as Addon;
          if (loaded.version === VERSION) addon = loaded;
          else why = `the built addon is version ${String(loaded.version)}, the code wants ${VERSION}: run npm rebuild`;
        } catch (err) {
          // A prebuilt addon that needs a newer glibc than this system's, say.
          why = `${relative(fileURLToPath(PACKAGE_ROOT), file)} did not load: ${String((err as Error).message).split('\n')[0]}`;
        }
      }
    }
  }
  return addon ?? undefined;
}

/** The addon file in use, relative to the package ('' when none is), for ABSYNC_TRACE and --version. */
export function nativeAddonFile(): string {
  return nativeAddon() ? relative(fileURLToPath(PACKAGE_ROOT), file) : '';
}

/** Why nativeAddon() is undefined ('' when it is loaded), for ABSYNC_TRACE and --version. */
export function nativeAddonMissing(): string {
  nativeAddon();
  return why;
}
