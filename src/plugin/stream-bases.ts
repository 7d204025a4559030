/**
 * The folders a stream's files come from (their `file.base`, usually the glob's base), and what the plugin learns
 * from them on disk. A stream may carry only some of the files under its base: `gulp.src(glob, { since })`, or a
 * narrowed glob. So a destination entry the stream did not carry is deleted only when no base holds it on disk
 * any more (looked at with lstat, never following a link), unless `onlyStreamed` says the stream is the whole
 * source. And a destination inside a base is refused at its first file, as the CLI refuses nested folders.
 */
import { lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { isInsideAbs, isRemoteDestination, type RelPath } from '../engine/index.js';

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

  constructor(private readonly destination: string) {}

  /** Notes a file's base; returns why the stream must stop if the destination lies inside it. */
  add(base: string): string | undefined {
    if (this.seen.has(base)) return undefined;
    this.seen.add(base);
    const folder = resolve(base);
    // A destination on another machine cannot lie inside a local folder.
    if (!isRemoteDestination(this.destination) && isInsideAbs(this.destination, folder)) {
      return `the destination ${this.destination} is inside ${folder}, the folder the stream's files come from (their base): a mirror cannot be inside its own source; choose a destination outside it`;
    }
    if (!this.folders.includes(folder)) this.folders.push(folder);
    return undefined;
  }

  /** The bases, absolute, in the order first seen. */
  get all(): readonly string[] {
    return this.folders;
  }

  /**
   * RunHooks.keep for a stream that carried `carried`: a destination entry the stream did not carry stays while
   * `<base>/<path>` exists (whatever its kind). Answers are remembered: the planner asks more than once.
   */
  keeper(carried: ReadonlySet<RelPath>): (path: RelPath) => boolean {
    const known = new Map<RelPath, boolean>();
    return (path) => {
      if (carried.has(path)) return false;
      let kept = known.get(path);
      if (kept === undefined) {
        kept = this.folders.some((base) => exists(`${base}/${path}`));
        known.set(path, kept);
      }
      return kept;
    };
  }
}
