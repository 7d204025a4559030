/** Turns an lstat result into an Entry. */
import type { BigIntStats } from 'node:fs';
import { mtimeOf } from '../times.js';
import type { Entry, SpecialEntry } from '../types.js';

function specialType(st: BigIntStats): SpecialEntry['type'] {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/** `readLink` is called only for symlinks, so the caller decides how (sync or not) and how to handle its errors. */
export function toEntry(st: BigIntStats, readLink: () => string): Entry {
  if (st.isFile()) return { kind: 'file', size: Number(st.size), mtimeMs: mtimeOf(st), mode: Number(st.mode & 0o7777n), ino: Number(st.ino) };
  if (st.isDirectory()) return { kind: 'dir', mode: Number(st.mode & 0o7777n), mtimeMs: mtimeOf(st), ino: Number(st.ino) };
  if (st.isSymbolicLink()) return { kind: 'symlink', target: readLink(), mtimeMs: mtimeOf(st), ino: Number(st.ino) };
  return { kind: 'special', type: specialType(st) };
}
