/**
 * gulp 5 reads files as utf8 unless `gulp.src(glob, { encoding: false })`: every byte sequence that is not valid
 * UTF-8 becomes U+FFFD, so a binary file arrives corrupted (and usually longer). Mirroring it would write the
 * damage. A file that both holds U+FFFD and no longer has its size on disk was almost certainly decoded.
 */
const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

/** Finds U+FFFD across chunk boundaries. */
export class ReplacementScanner {
  private tail: Buffer = Buffer.alloc(0);
  found = false;

  push(chunk: Uint8Array): void {
    if (this.found) return;
    const joined = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (joined.includes(REPLACEMENT)) this.found = true;
    else this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - 2)));
  }
}

/** True when contents of `size` bytes that contain U+FFFD came from a file of another size (or of unknown size). */
export function looksDecoded(hasReplacement: boolean, size: number, statSize: number | undefined): boolean {
  return hasReplacement && statSize !== size;
}

export function hasReplacement(data: Uint8Array): boolean {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).includes(REPLACEMENT);
}

export const ENCODING_HINT =
  "gulp 5 decodes files as utf8 by default, which corrupts binary files: use gulp.src(glob, { encoding: false })";
