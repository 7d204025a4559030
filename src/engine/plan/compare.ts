/** The quick check and the content check, as pure functions over scanned entries and digests. */
import type { DigestPair, FileEntry, Reason } from '../types.js';

import { sameMtime } from '../times.js';

export { sameMtime };

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
