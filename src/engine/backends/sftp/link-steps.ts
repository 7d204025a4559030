/**
 * Symlinks and renames in a remote tree. A link is made at a temporary name (ssh2 sends SYMLINK's arguments in
 * OpenSSH's swapped order), given its own times with lsetstat, then renamed over whatever link was there, so readers
 * never see no link. Renames without a replacement use plain SFTP RENAME, which refuses to overwrite.
 */
import { joinRel, parentOf } from '../../paths.js';
import type { RelPath } from '../../types.js';
import type { LinkItem, RenameItem, StepResult } from '../tree.js';
import { backUpRemote } from './backup-remote.js';
import { type RemoteContext, remoteTempName, stillExpected } from './context.js';
import { remotePath } from './entries.js';
import { lsetstat, lstatOrGone, posixRename, renameNoReplace, symlink, unlink } from './remote-fs.js';
import { setFineTimes } from './remote-times.js';
import { SftpError } from './sftp-errors.js';
import { CHANGED, DONE, failed, mtimeFailure, parentRefusal, VANISHED } from './steps.js';

export async function symlinks(ctx: RemoteContext, parent: RelPath, items: readonly LinkItem[]): Promise<StepResult[]> {
  const s = ctx.session;
  const refused = await parentRefusal(ctx.guard, parent, items);
  if (refused) return refused;
  const dirAbs = remotePath(ctx.root, parent);
  const made = await Promise.all(items.map(async (item): Promise<{ tmp: string } | StepResult> => {
    const tmp = remotePath(dirAbs, remoteTempName());
    try {
      await symlink(s, item.target, tmp);
      if (s.extensions.lsetstat) await lsetstat(s, tmp, { atime: Math.floor(Date.now() / 1000), mtime: Math.floor(item.mtimeMs / 1000) });
      return { tmp };
    } catch (err) {
      await unlink(s, tmp).catch(() => undefined);
      return failed(err);
    }
  }));
  const ready = made.flatMap((m, i) => ('tmp' in m ? [i] : []));
  const removing: Promise<void>[] = [];
  await ctx.fullyProbed();
  if (ctx.exec.caps.fineTimes && ctx.exec.caps.linkTimes && ready.length > 0) {
    const ok = await setFineTimes(ctx.exec, ready.map((i) => ({ path: (made[i] as { tmp: string }).tmp, mtimeMs: (items[i] as LinkItem).mtimeMs, link: true }))).catch(() => ready.map(() => false));
    ready.forEach((i, k) => {
      if (ok[k]) return;
      removing.push(unlink(s, (made[i] as { tmp: string }).tmp).catch(() => undefined));
      made[i] = failed(mtimeFailure(s, "the link's sub-second mtime"));
    });
  }
  await Promise.all(removing);
  return Promise.all(items.map(async (item, i): Promise<StepResult> => {
    const m = made[i] as { tmp: string } | StepResult;
    if (!('tmp' in m)) return m;
    const path = joinRel(parent, item.name);
    const finalAbs = remotePath(ctx.root, path);
    try {
      if (item.replace) {
        const state = stillExpected(await lstatOrGone(s, finalAbs), item.replace);
        if (state === 'changed') {
          await unlink(s, m.tmp);
          return CHANGED;
        }
        if (state === 'ok') await backUpRemote(ctx, path);
      }
      await posixRename(s, m.tmp, finalAbs);
      return DONE;
    } catch (err) {
      await unlink(s, m.tmp).catch(() => undefined);
      return failed(err);
    }
  }));
}

async function renameOne(ctx: RemoteContext, item: RenameItem): Promise<StepResult> {
  const s = ctx.session;
  try {
    await ctx.guard.check(parentOf(item.from));
    await ctx.guard.check(parentOf(item.to));
    const fromAbs = remotePath(ctx.root, item.from);
    const toAbs = remotePath(ctx.root, item.to);
    if (item.expect) {
      const state = stillExpected(await lstatOrGone(s, fromAbs), item.expect);
      if (state !== 'ok') return state === 'gone' ? VANISHED : CHANGED;
    }
    ctx.guard.forget(item.from);
    if (item.replace) {
      const state = stillExpected(await lstatOrGone(s, toAbs), item.replace);
      if (state === 'changed') return CHANGED;
      if (state === 'ok') await backUpRemote(ctx, item.to);
      await posixRename(s, fromAbs, toAbs);
    } else {
      if (await lstatOrGone(s, toAbs)) return CHANGED;
      await renameNoReplace(s, fromAbs, toAbs);
    }
    return DONE;
  } catch (err) {
    return err instanceof SftpError && err.code === 'ENOENT' ? VANISHED : failed(err);
  }
}

/** Renames at once, except that one touching a path an earlier one of the list touches waits for it (a chain). */
export async function rename(ctx: RemoteContext, items: readonly RenameItem[]): Promise<StepResult[]> {
  const results: Promise<StepResult>[] = [];
  let wave: Promise<StepResult>[] = [];
  let touched = new Set<RelPath>();
  for (const item of items) {
    if (touched.has(item.from) || touched.has(item.to)) {
      await Promise.all(wave);
      wave = [];
      touched = new Set();
    }
    touched.add(item.from);
    touched.add(item.to);
    const r = renameOne(ctx, item);
    wave.push(r);
    results.push(r);
  }
  return Promise.all(results);
}
