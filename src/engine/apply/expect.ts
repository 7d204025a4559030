/** Apply's re-check before it destroys: is the destination entry still what scan saw? */
import { lstat } from 'node:fs/promises';
import { isGone } from '../errors.js';
import type { Fingerprint } from '../types.js';
import { sameMtime } from '../plan/compare.js';

export type Expectation = 'ok' | 'gone' | 'changed';

function kindOf(st: import('node:fs').Stats): Fingerprint['kind'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'special';
}

export async function checkExpected(abs: string, expect: Fingerprint): Promise<Expectation> {
  let st;
  try {
    st = await lstat(abs);
  } catch (err) {
    if (isGone(err)) return 'gone';
    throw err;
  }
  if (kindOf(st) !== expect.kind) return 'changed';
  if (expect.ino !== undefined && expect.ino !== st.ino) return 'changed';
  if (expect.size !== undefined && expect.size !== st.size) return 'changed';
  if (expect.mtimeMs !== undefined && !sameMtime(expect.mtimeMs, st.mtimeMs)) return 'changed';
  return 'ok';
}
