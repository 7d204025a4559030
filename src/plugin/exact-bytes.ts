/**
 * gulp 5 reads files as utf8 unless `gulp.src(glob, { encoding: false })`: vinyl-fs decodes them with Node's
 * StringDecoder (through iconv-lite), which turns every invalid UTF-8 sequence into U+FFFD, removes a leading byte
 * order mark, and encodes the text again. Images, fonts and BOM-prefixed CSVs arrive altered. A mirror's promise is
 * the bytes: when contents are exactly what that decoding makes of the file at `file.path` (no plugin changed
 * them), the file's own bytes are mirrored instead. Only contents that could have been altered (they hold U+FFFD,
 * or their size is not the file's) are compared with the disk, so plain text streams cost nothing extra.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

const BOM = '\uFEFF';

/** True when contents of `size` bytes may differ from the file they were read from (of `statSize` bytes). */
export function mightBeDecoded(size: number, hasReplacement: boolean, statSize: number | undefined): boolean {
  return hasReplacement || (statSize !== undefined && size !== statSize);
}

/** vinyl-fs' default decoding, incrementally: utf8 through StringDecoder, the first character dropped if a BOM. */
class GulpDecoding {
  private readonly decoder = new StringDecoder('utf8');
  private started = false;

  write(chunk: Buffer): Buffer {
    return this.encode(this.decoder.write(chunk));
  }

  end(): Buffer {
    return this.encode(this.decoder.end());
  }

  private encode(text: string): Buffer {
    if (!this.started && text !== '') {
      this.started = true;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    return Buffer.from(text, 'utf8');
  }
}

/** What gulp 5 makes of a file's bytes by default. */
export function decodeAsGulp(bytes: Buffer): Buffer {
  const d = new GulpDecoding();
  return Buffer.concat([d.write(bytes), d.end()]);
}

/** Where contents that might have been decoded came from. */
export type Origin =
  /** The file's own bytes (`raw`), or gulp's decoding of them: mirror the file's bytes. */
  | { readonly kind: 'file'; readonly raw: boolean }
  /** A plugin changed them; `lossy`: the file is not valid UTF-8, so the decoding lost some of its bytes. */
  | { readonly kind: 'changed'; readonly lossy: boolean }
  /** There is no readable file at the path to compare with (a vinyl made up by a plugin). */
  | { readonly kind: 'unknown' };

/** For a Buffer: the file's bytes when they are its origin. */
export async function originOfBuffer(path: string, data: Buffer): Promise<Origin & { bytes?: Buffer }> {
  let disk: Buffer;
  try {
    disk = await readFile(path);
  } catch {
    return { kind: 'unknown' };
  }
  if (disk.equals(data)) return { kind: 'file', raw: true, bytes: disk };
  if (decodeAsGulp(disk).equals(data)) return { kind: 'file', raw: false, bytes: disk };
  return { kind: 'changed', lossy: !isUtf8(disk) };
}

/** For spooled stream contents, known by their SHA-1: the same comparison, reading the file once, in chunks. */
export async function originOfSpooled(path: string, spooledSha1: string): Promise<Origin> {
  const raw = createHash('sha1');
  const decoded = createHash('sha1');
  const decoding = new GulpDecoding();
  const validator = new TextDecoder('utf-8', { fatal: true });
  let valid = true;
  const check = (bytes: Buffer | undefined): void => {
    if (!valid) return;
    try {
      validator.decode(bytes, { stream: bytes !== undefined });
    } catch {
      valid = false;
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const input = createReadStream(path);
      input.on('data', (chunk) => {
        const bytes = chunk as Buffer;
        raw.update(bytes);
        decoded.update(decoding.write(bytes));
        check(bytes);
      });
      input.once('end', resolve);
      input.once('error', reject);
    });
  } catch {
    return { kind: 'unknown' };
  }
  decoded.update(decoding.end());
  check(undefined);
  if (raw.digest('hex') === spooledSha1) return { kind: 'file', raw: true };
  if (decoded.digest('hex') === spooledSha1) return { kind: 'file', raw: false };
  return { kind: 'changed', lossy: !valid };
}
