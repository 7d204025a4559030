/** Checks and moves by path for the JavaScript tree, on names that folders.ts gives (inside an open folder on Linux). */
import { constants } from 'node:fs';
import { lstat, unlink, copyFile, readdir, readlink, symlink, lutimes } from 'node:fs/promises';
import { isGone } from '../../errors.js';
import { mtimeOf, sameMtime } from '../../times.js';
import type { Fingerprint, RelPath } from '../../types.js';
import type { StepResult } from '../tree.js';
import { renameSafely, unlinkSafely } from './transient.js';

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
  // As numbers on both sides: a Windows file id can pass 2^53, and the scan kept it as a (rounded) number.
  if (expect.ino !== undefined && expect.ino !== 0 && expect.ino !== Number(st.ino)) return 'changed';
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
    await renameSafely(fromAbs, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const st = await lstat(fromAbs);
    await unlink(to).catch(() => undefined);
    if (st.isSymbolicLink()) {
      await symlink(await readlink(fromAbs), to);
      await lutimes(to, st.atime, st.mtime);
    } else {
      // Created exclusively (a link planted at `to` after the unlink is not written through), stamped without
      // following a link.
      await copyFile(fromAbs, to, constants.COPYFILE_EXCL);
      await lutimes(to, st.atime, st.mtime);
    }
    await unlinkSafely(fromAbs);
  }
}

/** A StepResult for an error thrown by a step: a parent gone is a race (vanished), anything else the entry's failure. */
export function stepError(err: unknown, describe: (err: unknown) => { code: string; message: string }): StepResult {
  if (isGone(err)) return { status: 'vanished' };
  return { status: 'failed', error: describe(err) };
}

/**
 * True when `fromAbs` and `toAbs` are one entry whose names differ only in case (a case-insensitive disk finds the
 * one under the other's name): a rename between them changes the name's case and replaces nothing. Not for two hard
 * links to one file, whose names differ otherwise.
 */
export async function sameEntryOtherCase(fromAbs: string, toAbs: string, from: RelPath, to: RelPath): Promise<boolean> {
  if (from === to || from.normalize('NFC').toLowerCase() !== to.normalize('NFC').toLowerCase()) return false;
  const [a, b] = await Promise.all([lstat(fromAbs, { bigint: true }).catch(() => undefined), lstat(toAbs, { bigint: true }).catch(() => undefined)]);
  return a !== undefined && b !== undefined && a.ino === b.ino && a.dev === b.dev;
}

/** The name in folder `dirAbs` that a case-insensitive disk takes for `name` when `name` itself is not listed there. */
export async function twinName(dirAbs: string, name: string): Promise<string | undefined> {
  const names = await readdir(dirAbs).catch(() => [] as string[]);
  if (names.includes(name)) return undefined;
  const folded = name.normalize('NFC').toLowerCase();
  return names.find((n) => n.normalize('NFC').toLowerCase() === folded);
}
