/** Checks and moves by path for the JavaScript tree, on names that folders.ts gives (inside an open folder on Linux). */
import { lstat, rename, unlink, copyFile, readlink, symlink, utimes, lutimes } from 'node:fs/promises';
import { isGone } from '../../errors.js';
import { mtimeOf, sameMtime } from '../../times.js';
import type { Fingerprint } from '../../types.js';
import type { StepResult } from '../tree.js';

export type Expectation = 'ok' | 'gone' | 'changed';

function kindOf(st: import('node:fs').BigIntStats): Fingerprint['kind'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'special';
}

/** Is the entry at `abs` still what the scan saw? */
export async function checkExpected(abs: string, expect: Fingerprint): Promise<Expectation> {
  let st;
  try {
    st = await lstat(abs, { bigint: true });
  } catch (err) {
    if (isGone(err)) return 'gone';
    throw err;
  }
  if (kindOf(st) !== expect.kind) return 'changed';
  if (expect.ino !== undefined && expect.ino !== 0 && BigInt(expect.ino) !== st.ino) return 'changed';
  if (expect.kind === 'file' && expect.size !== undefined && expect.size !== Number(st.size)) return 'changed';
  if (expect.kind === 'file' && expect.mtimeMs !== undefined && !sameMtime(expect.mtimeMs, mtimeOf(st))) return 'changed';
  return 'ok';
}

/** True when something is at `abs` (a link counts; it is never followed). */
export async function exists(abs: string): Promise<boolean> {
  try {
    await lstat(abs);
    return true;
  } catch (err) {
    if (isGone(err)) return false;
    throw err;
  }
}

/** Moves a destination file or link to `to` (a backup folder's name), by copy across file systems. */
export async function retire(fromAbs: string, to: string): Promise<void> {
  try {
    await rename(fromAbs, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const st = await lstat(fromAbs);
    await unlink(to).catch(() => undefined);
    if (st.isSymbolicLink()) {
      await symlink(await readlink(fromAbs), to);
      await lutimes(to, st.atime, st.mtime);
    } else {
      await copyFile(fromAbs, to);
      await utimes(to, st.atime, st.mtime);
    }
    await unlink(fromAbs);
  }
}

/** A StepResult for an error thrown by a step: a parent gone is a race (vanished), anything else the entry's failure. */
export function stepError(err: unknown, describe: (err: unknown) => { code: string; message: string }): StepResult {
  if (isGone(err)) return { status: 'vanished' };
  return { status: 'failed', error: describe(err) };
}
