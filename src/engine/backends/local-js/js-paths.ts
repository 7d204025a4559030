/**
 * Path checks for the JavaScript tree. Node has no openat: every operation goes by path, so before each one every
 * folder between the root and the entry is looked at (lstat, never cached across operations) and must be a real
 * folder. What remains open is the window between that look and the system call itself; the native tree has none
 * (README: Guarantees).
 */
import { lstat, mkdir, rename, unlink, copyFile, readlink, symlink, utimes, lutimes } from 'node:fs/promises';
import { isGone } from '../../errors.js';
import { isAbsolute, relative, sep } from 'node:path';
import { toAbs } from '../../paths.js';
import { mtimeOf, sameMtime } from '../../times.js';
import type { Fingerprint, RelPath } from '../../types.js';
import type { StepResult } from '../tree.js';

/** Thrown when a folder on the way is a link or not a folder; apply reports it as the entry's failure (EUNSAFE). */
export class UnsafePathError extends Error {
  readonly code = 'EUNSAFE';
}

/** Checks every folder from `root` down to `dir` (inclusive) is a real folder; 'vanished' when one is gone. */
export async function checkFolders(root: string, dir: RelPath): Promise<'ok' | 'vanished'> {
  if (dir === '') return 'ok';
  let at = '';
  for (const name of dir.split('/')) {
    at = at === '' ? name : `${at}/${name}`;
    let st;
    try {
      st = await lstat(toAbs(root, at));
    } catch (err) {
      if (isGone(err)) return 'vanished';
      throw err;
    }
    if (!st.isDirectory()) {
      throw new UnsafePathError(`destination folder ${JSON.stringify(at)} is ${st.isSymbolicLink() ? 'a symlink' : 'not a folder'}; refusing to write through it`);
    }
  }
  return 'ok';
}

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

/** Creates the folders of `rel` below `root` (each checked to be a real folder, none followed). */
export async function makeFolders(root: string, rel: RelPath): Promise<void> {
  let at = '';
  for (const name of rel === '' ? [] : rel.split('/')) {
    at = at === '' ? name : `${at}/${name}`;
    const abs = toAbs(root, at);
    try {
      await mkdir(abs, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = await lstat(abs);
    if (!st.isDirectory()) throw new UnsafePathError(`backup folder ${JSON.stringify(at)} is ${st.isSymbolicLink() ? 'a symlink' : 'not a folder'}; refusing to write through it`);
  }
}

/**
 * Moves a destination file or link into the backup tree at the same relative path (by copy across file systems).
 * `backup` is the backup folder; when it lies inside the destination `root`, its folders are made and checked from
 * the destination root (no link followed on the way), otherwise from the backup folder itself.
 */
export async function retire(root: string, backup: string, fromAbs: string, rel: RelPath): Promise<void> {
  const slash = rel.lastIndexOf('/');
  const parent = slash < 0 ? '' : rel.slice(0, slash);
  const inside = relative(root, backup);
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) {
    const base = inside.split(sep).join('/');
    await makeFolders(root, parent === '' ? base : `${base}/${parent}`);
  } else {
    await mkdir(backup, { recursive: true });
    await makeFolders(backup, parent);
  }
  const to = toAbs(backup, rel);
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
