/** Folders, symlinks and renames inside the destination. */
import { lstat, lutimes, mkdir, rename, symlink, unlink } from 'node:fs/promises';
import { isExists } from '../errors.js';
import { parentOf, toAbs } from '../paths.js';
import { toUtimes } from '../times.js';
import type { MkdirAction, MoveAction, SymlinkAction } from '../types.js';
import { backUp } from './backup.js';
import { type ApplyContext, tempNameIn } from './context.js';
import { checkExpected } from './expect.js';
import type { WriteResult } from './write-file.js';

export async function makeDir(ctx: ApplyContext, action: MkdirAction): Promise<WriteResult> {
  ctx.parents.check(action.path);
  const abs = toAbs(ctx.root, action.path);
  try {
    // Owner-writable until its children are in; set-attrs gives it the source's mode at the end.
    await mkdir(abs, { mode: 0o700 });
  } catch (err) {
    if (!isExists(err)) throw err;
    const st = await lstat(abs);
    if (!st.isDirectory()) return 'changed-since-scan';
  }
  ctx.parents.trust(action.path);
  return 'done';
}

/** A new link at a temporary name, renamed over whatever link was there: readers never see no link. */
export async function makeSymlink(ctx: ApplyContext, action: SymlinkAction): Promise<WriteResult> {
  ctx.parents.check(action.path);
  const abs = toAbs(ctx.root, action.path);
  if (action.expect) {
    const state = await checkExpected(abs, action.expect);
    if (state === 'changed') return 'changed-since-scan';
    if (state === 'ok') await backUp(ctx, action.path);
  }
  const tmp = tempNameIn(toAbs(ctx.root, parentOf(action.path)));
  try {
    await symlink(action.target, tmp);
    await lutimes(tmp, Date.now() / 1000, toUtimes(action.mtimeMs));
    await rename(tmp, abs);
    return 'done';
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

export async function moveEntry(ctx: ApplyContext, action: MoveAction): Promise<WriteResult> {
  ctx.parents.check(action.from);
  ctx.parents.check(action.path);
  const fromAbs = toAbs(ctx.root, action.from);
  const toAbsPath = toAbs(ctx.root, action.path);
  if (action.step !== 'unstage' && action.expect) {
    const state = await checkExpected(fromAbs, action.expect);
    if (state === 'gone') return 'vanished';
    if (state === 'changed') return 'changed-since-scan';
  }
  if (action.step === 'unstage' && action.expect) {
    // The target is still the file the plan replaces.
    const state = await checkExpected(toAbsPath, action.expect);
    if (state === 'changed') return 'changed-since-scan';
    if (state === 'ok') await backUp(ctx, action.path);
  } else if (action.step !== 'stage' && (await lstat(toAbsPath).then(() => true, () => false))) {
    return 'changed-since-scan';
  }
  ctx.parents.forget(action.from);
  await rename(fromAbs, toAbsPath);
  return 'done';
}
