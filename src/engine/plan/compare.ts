/** The quick check and the content check, as pure functions over scanned entries, digests and the rules. */
import type { DigestPair, FileEntry, Reason } from '../types.js';
import type { PlanRules } from './rules.js';

/** How the planner compares a source file with the destination file at the same path. */
export type FileVerdict = 'same' | Extract<Reason, 'size' | 'mtime' | 'content'>;

/** Whole microseconds of a millisecond value that came from mtimeOf (or a Date). */
function micros(ms: number): number {
  return Math.round(ms * 1000);
}

/** The mtime comparison the rules ask for: exact to the microsecond by default. */
export type SameTime = (a: number, b: number) => boolean;

export function sameTimeFor(rules: Pick<PlanRules, 'mtimeWindowUs' | 'mtimeStepUs'>): SameTime {
  const step = rules.mtimeStepUs ?? 1;
  const window = rules.mtimeWindowUs ?? 0;
  if (step <= 1 && window === 0) return (a, b) => micros(a) === micros(b);
  const q = (ms: number): number => Math.floor(micros(ms) / step) * step;
  return (a, b) => Math.abs(q(a) - q(b)) <= window;
}

/**
 * Quick check (default): same size and mtime means unchanged (`sizeOnly`: same size). Checksum mode: same size means
 * compare digests; a file whose size differs is never hashed. Without the digests it needs, checksum mode falls back to
 * the quick check.
 */
export function compareFiles(src: FileEntry, dst: FileEntry, rules: Pick<PlanRules, 'checksum' | 'sizeOnly'>, sameTime: SameTime, digests?: DigestPair): FileVerdict {
  if (src.size !== dst.size) return 'size';
  if (rules.checksum && src.size > 0 && digests?.source !== undefined && digests.destination !== undefined) {
    return digests.source === digests.destination ? 'same' : 'content';
  }
  if ((rules.checksum && src.size === 0) || rules.sizeOnly) return 'same';
  return sameTime(src.mtimeMs, dst.mtimeMs) ? 'same' : 'mtime';
}

/** Key under which identical contents meet when looking for renames. */
export function contentKey(size: number, digest: string): string {
  return `${size}:${digest}`;
}
