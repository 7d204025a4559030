/**
 * The source's ignore file (`.absyncignore`, gitignore syntax), read through the source tree: a regular file only,
 * opened without following a link or blocking. Anything else at that name (a FIFO, a folder) refuses the run, since
 * mirroring without the rules the user wrote could copy or delete what they meant to leave alone.
 */
import type { SourceTree } from '../backends/tree.js';
import { AbsyncError, describeError } from '../errors.js';
import { toAbs } from '../paths.js';

/** Larger than any ignore file a person writes; a bigger one is refused rather than read into memory. */
const MAX_BYTES = 4 << 20;

export async function readIgnoreFile(source: SourceTree, name: string): Promise<string | undefined> {
  const where = toAbs(source.root, name);
  let file;
  try {
    file = await source.open(name);
  } catch (err) {
    throw new AbsyncError('E_SOURCE_UNREADABLE', `cannot read ignore file ${where}: ${describeError(err).message}`, where);
  }
  if (file === 'vanished') {
    const st = await import('node:fs/promises').then((fs) => fs.lstat(where)).catch(() => undefined);
    if (!st) return undefined;
    const what = st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a folder' : st.isSymbolicLink() ? 'a symlink' : 'not a regular file';
    throw new AbsyncError('E_SOURCE_UNREADABLE', `ignore file ${where} is ${what}; it must be a regular file (or pass --no-ignore-file)`, where);
  }
  try {
    if (file.entry.size > MAX_BYTES) throw new AbsyncError('E_SOURCE_UNREADABLE', `ignore file ${where} is larger than ${MAX_BYTES} bytes`, where);
    const buf = Buffer.alloc(file.entry.size);
    let at = 0;
    while (at < buf.length) {
      const n = await file.read(buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at).toString('utf8');
  } catch (err) {
    if (err instanceof AbsyncError) throw err;
    throw new AbsyncError('E_SOURCE_UNREADABLE', `cannot read ignore file ${where}: ${describeError(err).message}`, where);
  } finally {
    await file.close();
  }
}
