/**
 * The folders a stream's files come from (their `file.base`, usually the glob's base), and what the plugin learns
 * from them on disk. A stream may carry only some of the files under its base: `gulp.src(glob, { since })`, or a
 * narrowed glob. So a destination entry the stream did not carry is deleted only when no base holds it on disk
 * any more (looked at with lstat, never following a link), unless `onlyStreamed` says the stream is the whole
 * source. And a destination inside a base is refused at its first file, as the CLI refuses nested folders.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { isInsideAbs, isRemoteDestination, realpathLooseSync, type RelPath } from '../engine/index.js';
import type { Received } from './receive-file.js';

/** Whether something is there; when that cannot be told (a folder without search permission), assume it is. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

export class StreamBases {
  private readonly seen = new Set<string>();
  private readonly folders: string[] = [];

  /** The destination with its symlinks resolved (through its nearest existing folder), found at the first base. */
  private realDestination: string | undefined;

  constructor(private readonly destination: string) {}

  /**
   * Notes a file's base; returns why the stream must stop if the destination lies inside it, or it inside the
   * destination. Compared as given and with symlinks resolved, as the CLI compares its folders: a base reached
   * through a link into the destination would have the run delete its own source.
   */
  add(base: string): string | undefined {
    if (this.seen.has(base)) return undefined;
    this.seen.add(base);
    const folder = resolve(base);
    // A destination on another machine can neither lie inside a local folder nor hold one.
    if (isRemoteDestination(this.destination)) {
      if (!this.folders.includes(folder)) this.folders.push(folder);
      return undefined;
    }
    this.realDestination ??= realpathLooseSync(this.destination);
    const realFolder = realpathLooseSync(folder);
    const through = (real: string, given: string): string => (real === given ? '' : ` (${real} without symlinks)`);
    if (isInsideAbs(this.destination, folder) || isInsideAbs(this.realDestination, realFolder)) {
      return `the destination ${this.destination}${through(this.realDestination, this.destination)} is inside ${folder}${through(realFolder, folder)}, the folder the stream's files come from (their base): a mirror cannot be inside its own source; choose a destination outside it`;
    }
    if (isInsideAbs(realFolder, this.realDestination)) {
      return `${folder}${through(realFolder, folder)}, the folder the stream's files come from (their base), is inside the destination ${this.destination}${through(this.realDestination, this.destination)}: the mirror would delete its own source; choose a destination outside it`;
    }
    if (!this.folders.includes(folder)) this.folders.push(folder);
    return undefined;
  }

  /** The bases, absolute, in the order first seen. */
  get all(): readonly string[] {
    return this.folders;
  }

  /**
   * RunHooks.keep for a stream that carried `received`: a destination entry the stream did not carry stays while
   * `<base>/<path>` exists (whatever its kind). Answers are remembered: the planner asks more than once.
   *
   * That rule needs the stream's names to be the names on disk. A plugin that renames files read from disk
   * (gulp-rename, a compiler making .css of .scss) or adds files to them (source maps) breaks it: in an incremental
   * stream, the output of every unchanged file would look like the output of a deleted one. So once an entry
   * would be deleted, the stream's own files are looked up on disk. If some came from disk and some are not there
   * under their names, their extensions (`.css`, `.map`) are the names plugins make: an entry the stream did not
   * carry is not deleted when it is a folder or has one of those extensions, and `unsure` lists it, for the plugin to
   * say so (`onlyStreamed` is the way to delete them). Other entries, and every entry of a stream made wholly in
   * memory, keep the plain rule, so a deleted source's file of a kind no plugin made still goes.
   */
  keeper(received: readonly Received[]): Keeper {
    const carried = new Set(received.map((r) => r.path));
    const known = new Map<RelPath, boolean>();
    const listings = new Map<string, ReadonlySet<string> | undefined>();
    const unsure: RelPath[] = [];
    let made: ReadonlySet<string> | undefined;
    const madeExtensions = (): ReadonlySet<string> => {
      const files = received.filter((r) => r.ignored === undefined && r.path !== '');
      if (!files.some((r) => exists(r.file.history?.[0] ?? r.file.path))) return new Set();
      return new Set(files.filter((r) => !exists(`${resolve(r.file.base)}/${r.path}`)).map((r) => extensionOf(r.path)));
    };
    const keep = (path: RelPath, isDir: boolean): boolean => {
      if (carried.has(path)) return false;
      let kept = known.get(path);
      if (kept === undefined) {
        kept = this.folders.some((base) => exists(`${base}/${path}`) && namedSo(base, path, listings));
        if (!kept) {
          made ??= madeExtensions();
          if (made.size > 0 && (isDir || made.has(extensionOf(path)))) {
            kept = true;
            unsure.push(path);
          }
        }
        known.set(path, kept);
      }
      return kept;
    };
    return { keep, unsure };
  }
}

/**
 * Whether each name of `path` is listed under that name in its folder below `base`. A case-insensitive disk (NTFS,
 * APFS, Wine's drives) finds `site/index.html` when the file is now `INDEX.html`: that old name must not keep the
 * destination's `index.html`, or a case-only rename never reaches it. A name the disk normalises (HFS+ lists NFD)
 * counts when its NFC form matches. Folders that cannot be listed count as holding the name (as `exists` assumes).
 */
function namedSo(base: string, path: RelPath, listings: Map<string, ReadonlySet<string> | undefined>): boolean {
  let folder = base;
  for (const name of path.split('/')) {
    let names = listings.get(folder);
    if (!listings.has(folder)) {
      try {
        names = new Set(readdirSync(folder).map((n) => n.normalize('NFC')));
      } catch {
        names = undefined;
      }
      listings.set(folder, names);
    }
    if (names && !names.has(name.normalize('NFC'))) return false;
    folder = `${folder}/${name}`;
  }
  return true;
}

/** The last extension of a path's name, lower-cased (`a/b.min.JS` -> `.js`); '' for none. */
function extensionOf(path: RelPath): string {
  return extname(path.slice(path.lastIndexOf('/') + 1)).toLowerCase();
}

/** What StreamBases.keeper gives: the hook, and the entries it kept only because the stream renamed files. */
export interface Keeper {
  readonly keep: (path: RelPath, isDir: boolean) => boolean;
  /** Entries not carried and without a source on disk, kept since the stream's names are not those on disk. */
  readonly unsure: readonly RelPath[];
}
