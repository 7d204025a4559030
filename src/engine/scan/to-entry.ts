/** Turns an lstat result into an Entry. */
import type { Stats } from 'node:fs';
import type { Entry, SpecialEntry } from '../types.js';

function specialType(st: Stats): SpecialEntry['type'] {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/** `readLink` is called only for symlinks, so the caller decides how (sync or not) and how to handle its errors. */
export function toEntry(st: Stats, readLink: () => string): Entry {
  if (st.isFile()) return { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, ino: st.ino };
  if (st.isDirectory()) return { kind: 'dir', mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, ino: st.ino };
  if (st.isSymbolicLink()) return { kind: 'symlink', target: readLink(), mtimeMs: st.mtimeMs, ino: st.ino };
  return { kind: 'special', type: specialType(st) };
}
