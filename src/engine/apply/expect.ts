/** Apply's re-check before it destroys: is the destination entry still what scan saw? */
import { lstat } from 'node:fs/promises';
import { isGone } from '../errors.js';
import type { Fingerprint } from '../types.js';
import { mtimeOf, sameMtime } from '../times.js';

export type Expectation = 'ok' | 'gone' | 'changed';

function kindOf(st: import('node:fs').BigIntStats): Fingerprint['kind'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'special';
}

export async function checkExpected(abs: string, expect: Fingerprint): Promise<Expectation> {
  let st;
  try {
    st = await lstat(abs, { bigint: true });
  } catch (err) {
    if (isGone(err)) return 'gone';
    throw err;
  }
  if (kindOf(st) !== expect.kind) return 'changed';
  if (expect.ino !== undefined && expect.ino !== Number(st.ino)) return 'changed';
  if (expect.size !== undefined && expect.size !== Number(st.size)) return 'changed';
  if (expect.mtimeMs !== undefined && !sameMtime(expect.mtimeMs, mtimeOf(st))) return 'changed';
  return 'ok';
}
