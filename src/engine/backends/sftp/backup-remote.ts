/**
 * With a backup folder, replaced and deleted remote entries are renamed into it (same server, keeping their relative
 * paths) instead of destroyed. Its missing folders are made on the way; an older backup of the same path is replaced.
 */
import { parentOf } from '../../paths.js';
import type { RelPath } from '../../types.js';
import type { RemoteContext } from './context.js';
import { kindOfMode, remotePath } from './entries.js';
import { lstatOrGone, mkdir, posixRename } from './remote-fs.js';
import { UnsafeParentError } from './steps.js';

/** Makes `dir` (absolute) and its missing parents; refuses to go through anything that is not a folder. */
export async function makeRemoteDirs(ctx: RemoteContext, dir: string): Promise<void> {
  const st = await lstatOrGone(ctx.session, dir);
  if (st) {
    if (kindOfMode(st.mode) !== 'dir') throw new UnsafeParentError(`${dir} is not a folder; refusing to write through it`);
    return;
  }
  const up = dir.slice(0, dir.lastIndexOf('/')) || '/';
  if (up !== dir) await makeRemoteDirs(ctx, up);
  await mkdir(ctx.session, dir, 0o700).catch(async (err: unknown) => {
    // Made by someone else in the meantime is fine, as long as it is a folder.
    const now = await lstatOrGone(ctx.session, dir);
    if (!now || kindOfMode(now.mode) !== 'dir') throw err;
  });
}

/** Moves the entry at `path` of the destination into the backup folder. */
export async function backUpRemote(ctx: RemoteContext, path: RelPath): Promise<void> {
  if (!ctx.backup) return;
  const to = remotePath(ctx.backup, path);
  await makeRemoteDirs(ctx, remotePath(ctx.backup, parentOf(path)));
  await posixRename(ctx.session, remotePath(ctx.root, path), to);
}
