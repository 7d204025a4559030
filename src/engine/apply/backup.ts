/** With a backup folder, deleted and overwritten destination entries are moved there instead of destroyed. */
import { copyFile, mkdir, readlink, rename, symlink, unlink, lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toAbs } from '../paths.js';
import type { RelPath } from '../types.js';
import type { ApplyContext } from './context.js';

/** Moves the destination entry at `path` (a file or link) to the same relative path in the backup folder. */
export async function backUp(ctx: ApplyContext, path: RelPath): Promise<void> {
  if (!ctx.backup) return;
  const from = toAbs(ctx.root, path);
  const to = toAbs(ctx.backup, path);
  await mkdir(dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // Another file system: copy, then remove.
    const st = await lstat(from);
    if (st.isSymbolicLink()) {
      await unlink(to).catch(() => undefined);
      await symlink(await readlink(from), to);
    } else await copyFile(from, to);
    await unlink(from);
  }
}
