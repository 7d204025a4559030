/**
 * Modification times at microsecond precision. Node sets times through libuv, which takes a double of seconds and
 * truncates it to whole microseconds, so nanoseconds can never be copied. Every mtime the engine reads is therefore
 * floored to the microsecond (from bigint stats, exactly), and every mtime it writes is chosen so that libuv's
 * truncation lands on exactly that microsecond. Copies then compare equal to their source, run after run.
 */
import type { BigIntStats } from 'node:fs';

/** Milliseconds since the epoch, floored to the microsecond. */
export function mtimeOf(st: BigIntStats): number {
  return Number(st.mtimeNs / 1000n) / 1000;
}

/** The status change time (ctime) the same way: milliseconds since the epoch, floored to the microsecond. */
export function ctimeOf(st: BigIntStats): number {
  return Number(st.ctimeNs / 1000n) / 1000;
}

/** Whole microseconds of a millisecond value that came from mtimeOf (or a Date). */
function micros(ms: number): number {
  return Math.round(ms * 1000);
}

export function sameMtime(a: number, b: number): boolean {
  return micros(a) === micros(b);
}

/**
 * Seconds for fs.utimes that libuv truncates to exactly the microsecond of `ms`. Before 1970 it is a string: Node
 * takes a negative number for "now" (fs.utimes(p, -1, -1) stamps the current time), but reads a numeric string as
 * it is; and libuv truncates toward zero there, so half a microsecond goes the other way.
 */
export function toUtimes(ms: number): number | string {
  const us = micros(ms);
  if (us < 0) return String((us - 0.5) / 1e6);
  const sec = Math.floor(us / 1e6);
  // Half a microsecond above the target survives the double's rounding (a quarter microsecond here) and truncation.
  return sec + (us - sec * 1e6 + 0.5) / 1e6;
}
