/**
 * Symlinks on Windows: a link to a folder and a link to a file are different kinds of entry there, so symlink()
 * needs the right type (a folder link made as a file link cannot be entered), and making any symlink needs the
 * "Create symbolic links" privilege or Developer Mode. Without it, a link to a folder by absolute path is made as a
 * junction (which needs no privilege and reads back the same), and any other link fails with that cause, never
 * silently.
 */
import { stat, symlink } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { describeError } from '../../errors.js';
import type { StepResult } from '../tree.js';

/**
 * The symlink type for a link in folder `dirAbs` to `target`: 'dir' when the target is a folder now, else 'file'.
 * Apply creates folders before links, so a link to a folder of the mirror finds it. As Node itself would choose.
 */
export async function linkTypeFor(dirAbs: string, target: string): Promise<'dir' | 'file'> {
  const to = isAbsolute(target) ? target : resolve(dirAbs, target);
  const st = await stat(to).catch(() => undefined);
  return st?.isDirectory() ? 'dir' : 'file';
}

/** The failure for a symlink() that was refused, with the Windows cause where that is what it was. */
export function linkFailure(err: unknown): StepResult {
  const { code, message } = describeError(err);
  if (process.platform === 'win32' && (code === 'EPERM' || code === 'EACCES')) {
    return {
      status: 'failed',
      error: { code, message: `Windows allows creating symlinks only with the "Create symbolic links" privilege or Developer Mode (${code}); not mirrored` },
    };
  }
  return { status: 'failed', error: { code, message } };
}

/** Creates the link `abs` -> `target` (in folder `dirAbs`), typed for Windows; a junction for an absolute folder link there without the privilege. */
export async function makeLink(target: string, abs: string, dirAbs: string): Promise<void> {
  if (process.platform !== 'win32') return symlink(target, abs);
  const type = await linkTypeFor(dirAbs, target);
  try {
    await symlink(target, abs, type);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (type !== 'dir' || !isAbsolute(target) || (code !== 'EPERM' && code !== 'EACCES')) throw err;
    await symlink(target, abs, 'junction');
  }
}
