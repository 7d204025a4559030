/**
 * Reading files for the JavaScript tree: opened read-only with O_NOFOLLOW | O_NONBLOCK (a FIFO never blocks, a link
 * at the name is never followed), checked to be a regular file (and the very file the scan saw), read through one
 * reused buffer, and checked again after reading: same inode, size, mtime and ctime (a rewrite in place that puts
 * the mtime back still moves the ctime) and the name still naming it. A copy is written to a temporary name created
 * exclusively (O_EXCL | O_NOFOLLOW) and stamped from what was read.
 */
import { lazyCrypto } from '../../lazy-builtins.js';
import { constants, type BigIntStats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { isGone } from '../../errors.js';
import type { HashAlgorithm } from '../../options.js';
import { toEntry } from '../../scan/to-entry.js';
import { ctimeOf, toUtimes } from '../../times.js';
import type { FileEntry } from '../../types.js';
import type { OpenedFile } from '../tree.js';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | NONBLOCK;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;

const CHUNK = 1 << 20;
const spare: Buffer[] = [];

/** Inode, size, mtime and ctime as one token (OpenedFile.version). */
export function versionOf(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

class JsOpenedFile implements OpenedFile {
  readonly entry: FileEntry;
  readonly version: string;
  readonly changedMs: number;
  constructor(private readonly fh: FileHandle, private readonly abs: string, private readonly st: BigIntStats, private readonly onClose?: () => void) {
    this.entry = toEntry(st, () => '') as FileEntry;
    this.version = versionOf(st);
    this.changedMs = ctimeOf(st);
  }

  async versionNow(): Promise<string> {
    return versionOf(await this.fh.stat({ bigint: true }));
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.read(buffer, offset, length, position)).bytesRead;
  }

  async unchanged(): Promise<boolean> {
    const now = await this.fh.stat({ bigint: true });
    if (versionOf(now) !== this.version) return false;
    const named = await lstat(this.abs, { bigint: true }).catch(() => undefined);
    return named !== undefined && named.ino === this.st.ino && named.dev === this.st.dev;
  }

  async close(): Promise<void> {
    try {
      await this.fh.close();
    } finally {
      this.onClose?.();
    }
  }
}

/**
 * Opens a regular file without following a link or blocking; 'vanished' when it is not (or not the inode `ino`).
 * `onClose` runs when the returned file is closed, or at once when there is none to return.
 */
export async function openRegular(abs: string, ino?: number, onClose?: () => void): Promise<JsOpenedFile | 'vanished'> {
  let fh: FileHandle;
  try {
    fh = await open(abs, READ_FLAGS);
  } catch (err) {
    onClose?.();
    const code = (err as NodeJS.ErrnoException).code;
    if (isGone(err) || code === 'ELOOP' || code === 'EISDIR') return 'vanished';
    throw err;
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile() || (ino !== undefined && ino !== 0 && ino !== Number(st.ino))) {
      await fh.close();
      onClose?.();
      return 'vanished';
    }
    return new JsOpenedFile(fh, abs, st, onClose);
  } catch (err) {
    await fh.close();
    onClose?.();
    throw err;
  }
}

/** Reads the whole file into `onChunk`, through a reused buffer. */
export async function readAll(file: OpenedFile, onChunk: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  const buffer = spare.pop() ?? Buffer.allocUnsafe(CHUNK);
  try {
    for (let position = 0; ; ) {
      const n = await file.read(buffer, 0, CHUNK, position);
      if (n === 0) break;
      position += n;
      await onChunk(buffer.subarray(0, n));
    }
  } finally {
    spare.push(buffer);
  }
}

/** Hex digest of a regular file; undefined when it is not one any more or cannot be read. */
export async function hashFile(abs: string, algorithm: HashAlgorithm): Promise<string | undefined> {
  let file;
  try {
    file = await openRegular(abs);
  } catch {
    return undefined;
  }
  if (file === 'vanished') return undefined;
  try {
    const hash = lazyCrypto().createHash(algorithm);
    await readAll(file, (chunk) => void hash.update(chunk));
    return hash.digest('hex');
  } catch {
    return undefined;
  } finally {
    await file.close();
  }
}

/** What one copy attempt gave. */
export type CopyAttempt = 'done' | 'torn';

/**
 * Writes `tmpAbs` (created exclusively) from `from` (an opened file, or bytes), gives it `mode` (or the source's as
 * read; none when not `setMode`) and the source's mtime as read (or `mtimeMs` for bytes, or when not `stampFromRead`),
 * and closes it. 'torn' when the source changed while it was read: the temporary file is then removed by the caller.
 */
export async function writeTemp(
  tmpAbs: string, from: OpenedFile | Uint8Array, mode: number | undefined, mtimeMs: number, stampFromRead = true, setMode = true,
): Promise<CopyAttempt> {
  const out = await open(tmpAbs, CREATE_FLAGS, 0o600);
  try {
    if (from instanceof Uint8Array) {
      await out.write(from, 0, from.byteLength, 0);
    } else {
      let at = 0;
      await readAll(from, async (chunk) => {
        let written = 0;
        while (written < chunk.length) written += (await out.write(chunk, written, chunk.length - written, at + written)).bytesWritten;
        at += chunk.length;
      });
      if (!(await from.unchanged())) return 'torn';
    }
    const stamp = from instanceof Uint8Array || !stampFromRead ? mtimeMs : from.entry.mtimeMs;
    // A file system without modes (FAT mounted on Linux) refuses chmod: the file keeps the mount's mode.
    if (setMode) await out.chmod(mode ?? (from instanceof Uint8Array ? 0o644 : from.entry.mode));
    await out.utimes(Date.now() / 1000, toUtimes(stamp));
    return 'done';
  } finally {
    await out.close();
  }
}
