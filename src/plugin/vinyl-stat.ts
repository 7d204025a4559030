/**
 * Modes and mtimes for entries built from vinyl files. The engine keeps mtimes floored to the microsecond, read
 * exactly from bigint stats (engine/times.ts); a vinyl file's `stat` is a plain Stats whose double `mtimeMs` is
 * a fraction of a microsecond off. So when a file's mtime is still the one on disk, it is read again exactly.
 */
import { lstat, stat } from 'node:fs/promises';
import { mtimeOf } from '../engine/index.js';
import type { VinylFile, VinylStat } from './vinyl-file.js';

/** file.stat.mtime wins (plugins set it); mtimeMs adds the sub-millisecond part when both agree (Node rounds the Date). */
function statMtime(st: VinylStat | null | undefined): number | undefined {
  const date = st?.mtime instanceof Date ? st.mtime.getTime() : NaN;
  const ms = typeof st?.mtimeMs === 'number' ? st.mtimeMs : undefined;
  if (!Number.isNaN(date)) return ms !== undefined && Math.abs(ms - date) < 1 ? ms : date;
  return ms;
}

/**
 * The entry mtime of a vinyl file: from its stat, else `now`. A sub-millisecond value that agrees with the file
 * on disk (to the microsecond) is taken from disk exactly; `follow` says whether the stat followed a link.
 */
export async function mtimeOfVinyl(file: VinylFile, now: number, follow: boolean): Promise<number> {
  const approx = statMtime(file.stat);
  if (approx === undefined) return now;
  if (Number.isInteger(approx)) return approx;
  try {
    const st = await (follow ? stat : lstat)(file.path, { bigint: true });
    const exact = mtimeOf(st);
    if (Math.abs(exact - approx) < 0.001) return exact;
  } catch {
    /* no file on disk (a made-up vinyl): its own value, floored */
  }
  return Math.floor(approx * 1000) / 1000;
}

export function modeOf(st: VinylStat | null | undefined, fallback: number): number {
  return typeof st?.mode === 'number' ? st.mode & 0o7777 : fallback;
}
