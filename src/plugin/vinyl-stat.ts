/**
 * Modes and mtimes for entries built from vinyl files. The engine keeps mtimes floored to the microsecond, read
 * exactly from bigint stats (engine/times.ts). vinyl-fs' `file.stat` is a plain Stats, whose double `mtimeMs` is
 * within a fraction of a microsecond of the truth, on either side: flooring it can land a microsecond low or, when
 * the double rounded up across a microsecond, high (1796110303493630994 ns is 1796110303493.631 ms as a double).
 * So an mtime that is still the file's on disk is read again exactly, with a bigint stat.
 */
import { lstat, stat } from 'node:fs/promises';
import { mtimeOf } from '../engine/index.js';
import type { VinylFile, VinylStat } from './vinyl-file.js';

/** A double of milliseconds and the exact nanoseconds it stands for are this close (the double's own error is ~0.1 µs). */
const SAME_INSTANT_MS = 0.0005;

/** file.stat.mtime wins (plugins set it); mtimeMs adds the sub-millisecond part when both agree (Node rounds the Date). */
function statMtime(st: VinylStat | null | undefined): number | undefined {
  const date = st?.mtime instanceof Date ? st.mtime.getTime() : NaN;
  const ms = typeof st?.mtimeMs === 'number' ? st.mtimeMs : undefined;
  if (!Number.isNaN(date)) return ms !== undefined && Math.abs(ms - date) < 1 ? ms : date;
  return ms;
}

/**
 * The entry mtime of a vinyl file: from its stat (exactly, from `mtimeNs` when a plugin gave bigint stats), else
 * `now`. A value that is the file's on disk (within the double's error) is taken from disk exactly; `follow` says
 * whether the stat followed a link.
 */
export async function mtimeOfVinyl(file: VinylFile, now: number, follow: boolean): Promise<number> {
  const ns = file.stat?.mtimeNs;
  if (typeof ns === 'bigint') return Number(ns / 1000n) / 1000;
  const approx = statMtime(file.stat);
  if (approx === undefined) return now;
  // Even a whole millisecond may be a double that rounded up (999.9999995 ms): the disk says.
  try {
    const st = await (follow ? stat : lstat)(file.path, { bigint: true });
    if (Math.abs(Number(st.mtimeNs) / 1e6 - approx) < SAME_INSTANT_MS) return mtimeOf(st);
  } catch {
    /* no file on disk (a made-up vinyl): its own value, floored */
  }
  return Math.floor(approx * 1000) / 1000;
}

export function modeOf(st: VinylStat | null | undefined, fallback: number): number {
  return typeof st?.mode === 'number' ? st.mode & 0o7777 : fallback;
}
