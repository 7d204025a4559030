/** The quick check and the content check, as pure functions over scanned entries and digests. */
import type { DigestPair, FileEntry, Reason } from '../types.js';

/**
 * Node sets mtimes through a double of seconds, which keeps about a quarter of a microsecond, so a copied file's
 * mtime can differ from its source's by less than that. Anything under a microsecond counts as equal.
 */
export const MTIME_TOLERANCE_MS = 0.001;

export function sameMtime(a: number, b: number): boolean {
  return Math.abs(a - b) < MTIME_TOLERANCE_MS;
}

/** How the planner compares a source file with the destination file at the same path. */
export type FileVerdict = 'same' | Extract<Reason, 'size' | 'mtime' | 'content'>;

/**
 * Quick check (default): same size and mtime means unchanged. Checksum mode: same size means compare digests;
 * a file whose size differs is never hashed. Without the digests it needs, checksum mode falls back to the quick check.
 */
export function compareFiles(src: FileEntry, dst: FileEntry, checksum: boolean, digests?: DigestPair): FileVerdict {
  if (src.size !== dst.size) return 'size';
  if (checksum && src.size > 0 && digests?.source !== undefined && digests.destination !== undefined) {
    return digests.source === digests.destination ? 'same' : 'content';
  }
  if (checksum && src.size === 0) return 'same';
  return sameMtime(src.mtimeMs, dst.mtimeMs) ? 'same' : 'mtime';
}

/** Key under which identical contents meet when looking for renames. */
export function contentKey(size: number, digest: string): string {
  return `${size}:${digest}`;
}
