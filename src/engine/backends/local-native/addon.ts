/**
 * The optional native addon (native/*.c, Node-API; built by `npm install` where a C compiler is, or shipped
 * prebuilt): every destination operation relative to a folder handle opened without following links, the scan's
 * walks and the digests, each a batch per trip to a libuv pool thread. It is loaded once, checked against the
 * version these sources expect, and otherwise left alone (the JavaScript trees take over).
 */
import { createRequire } from 'node:module';

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
}

/** native/addon.c's ABSYNC_NATIVE_VERSION: an addon built from other sources is not used. */
const VERSION = 4;

/** Set to true by the CLI's bundle (esbuild --define): its modules live in dist/cli, not dist/src/engine/backends/local-native. */
declare const ABSYNC_BUNDLE: boolean | undefined;
const ADDON = `${typeof ABSYNC_BUNDLE === 'boolean' && ABSYNC_BUNDLE ? '../..' : '../../../../..'}/build/Release/absync_native.node`;

let addon: Addon | null | undefined;
let why = '';

/** The addon, or undefined when it was not built, does not fit these sources, or is switched off (ABSYNC_NO_NATIVE=1). */
export function nativeAddon(): Addon | undefined {
  if (addon === undefined) {
    addon = null;
    if (process.env['ABSYNC_NO_NATIVE'] === '1') why = 'ABSYNC_NO_NATIVE=1';
    else if (process.platform !== 'linux') why = `not built for ${process.platform} (Linux only)`;
    else {
      try {
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

/** Why nativeAddon() is undefined ('' when it is loaded), for ABSYNC_TRACE and --version. */
export function nativeAddonMissing(): string {
  nativeAddon();
  return why;
}
