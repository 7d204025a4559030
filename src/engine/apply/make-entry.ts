/** Folders, symlinks and renames inside the destination. */
import { lstat, lutimes, mkdir, rename, symlink, unlink } from 'node:fs/promises';
import { isExists } from '../errors.js';
import { parentOf, toAbs } from '../paths.js';
import { toUtimes } from '../times.js';
import type { MkdirAction, RenameAction, StageAction, SymlinkAction, UnstageAction } from '../types.js';
import { backUp } from './backup.js';
import { type ApplyContext, tempName, tempNameIn } from './context.js';
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

/** A whole folder renamed in one step; `path` must not exist. */
export async function renameEntry(ctx: ApplyContext, action: RenameAction): Promise<WriteResult> {
  ctx.parents.check(action.from);
  ctx.parents.check(action.path);
  const state = await checkExpected(toAbs(ctx.root, action.from), action.expect);
  if (state === 'gone') return 'vanished';
  if (state === 'changed') return 'changed-since-scan';
  if (await lstat(toAbs(ctx.root, action.path)).then(() => true, () => false)) return 'changed-since-scan';
  ctx.parents.forget(action.from);
  await rename(toAbs(ctx.root, action.from), toAbs(ctx.root, action.path));
  return 'done';
}

/** A file moved out of the way to its slot's temporary name in the root. */
export async function stageEntry(ctx: ApplyContext, action: StageAction): Promise<WriteResult> {
  ctx.parents.check(action.path);
  const state = await checkExpected(toAbs(ctx.root, action.path), action.expect);
  if (state === 'gone') return 'vanished';
  if (state === 'changed') return 'changed-since-scan';
  const tmp = tempName();
  ctx.slots.set(action.slot, tmp);
  await rename(toAbs(ctx.root, action.path), toAbs(ctx.root, tmp));
  return 'done';
}

/** A staged file moved from its slot to its target, over the file the plan replaces (backed up first). */
export async function unstageEntry(ctx: ApplyContext, action: UnstageAction): Promise<WriteResult> {
  ctx.parents.check(action.path);
  const tmp = ctx.slots.get(action.slot);
  if (tmp === undefined) return 'vanished';
  const target = toAbs(ctx.root, action.path);
  if (action.expect) {
    const state = await checkExpected(target, action.expect);
    if (state === 'changed') return 'changed-since-scan';
    if (state === 'ok') await backUp(ctx, action.path);
  } else if (await lstat(target).then(() => true, () => false)) {
    return 'changed-since-scan';
  }
  await rename(toAbs(ctx.root, tmp), target);
  return 'done';
}
