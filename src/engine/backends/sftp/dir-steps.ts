/** Folders and attributes of a remote tree: MKDIR, and mode/mtime set without following links. */
import { joinRel } from '../../paths.js';
import type { RelPath } from '../../types.js';
import type { AttrItem, StepResult } from '../tree.js';
import type { RemoteContext } from './context.js';
import { kindOfMode, remotePath } from './entries.js';
import { lsetstat, lstatOrGone, mkdir, setstat } from './remote-fs.js';
import { setFineTimes } from './remote-times.js';
import { SftpError } from './sftp-errors.js';
import { CHANGED, DONE, failed, mtimeFailure, parentRefusal, VANISHED } from './steps.js';

export async function makeDirs(ctx: RemoteContext, parent: RelPath, items: readonly { readonly name: string }[]): Promise<StepResult[]> {
  const refused = await parentRefusal(ctx.guard, parent, items);
  if (refused) return refused;
  return Promise.all(items.map(async ({ name }): Promise<StepResult> => {
    const path = joinRel(parent, name);
    const abs = remotePath(ctx.root, path);
    try {
      // Owner-writable until its children are in; setAttrs gives it the source's mode at the end.
      await mkdir(ctx.session, abs, 0o700);
    } catch (err) {
      // OpenSSH reports EEXIST as a plain failure: look at what is there.
      const st = await lstatOrGone(ctx.session, abs).catch(() => undefined);
      if (!st) return err instanceof SftpError && err.code === 'ENOENT' ? VANISHED : failed(err);
      if (kindOfMode(st.mode) !== 'dir') return CHANGED;
    }
    ctx.guard.trust(path);
    return DONE;
  }));
}

/**
 * Mode and mtime: lsetstat@openssh.com where the server has it (never follows a link; a link gets its own times);
 * elsewhere SETSTAT after an LSTAT says the entry is not a link (a link's times are then left). With exec, the
 * sub-second mtime is set by touch after the whole second by SFTP.
 */
export async function setAttrs(ctx: RemoteContext, parent: RelPath, items: readonly AttrItem[]): Promise<StepResult[]> {
  const s = ctx.session;
  const refused = await parentRefusal(ctx.guard, parent, items);
  if (refused) return refused;
  const now = Math.floor(Date.now() / 1000);
  const results = await Promise.all(items.map(async (item): Promise<StepResult> => {
    const abs = remotePath(ctx.root, joinRel(parent, item.name));
    const mode = item.kind === 'symlink' ? undefined : item.mode;
    const attrs = {
      ...(mode !== undefined ? { mode } : {}),
      ...(item.mtimeMs !== undefined ? { atime: now, mtime: Math.floor(item.mtimeMs / 1000) } : {}),
    };
    if (Object.keys(attrs).length === 0) return DONE;
    try {
      if (s.extensions.lsetstat) {
        await lsetstat(s, abs, attrs);
        return DONE;
      }
      const st = await lstatOrGone(s, abs);
      if (!st) return VANISHED;
      if (kindOfMode(st.mode) !== item.kind) return CHANGED;
      if (item.kind !== 'symlink') await setstat(s, abs, attrs);
      return DONE;
    } catch (err) {
      return err instanceof SftpError && err.code === 'ENOENT' ? VANISHED : failed(err);
    }
  }));
  await ctx.fullyProbed();
  if (!ctx.exec.caps.fineTimes) return results;
  const fine = items.flatMap((it, i) => (it.mtimeMs !== undefined && results[i]?.status === 'done' && (it.kind !== 'symlink' || ctx.exec.caps.linkTimes) ? [i] : []));
  const ok = await setFineTimes(ctx.exec, fine.map((i) => {
    const it = items[i] as AttrItem;
    return { path: remotePath(ctx.root, joinRel(parent, it.name)), mtimeMs: it.mtimeMs as number, link: it.kind === 'symlink' };
  }))
    .catch(() => fine.map(() => false));
  fine.forEach((i, k) => {
    if (!ok[k]) results[i] = failed(mtimeFailure(s));
  });
  return results;
}
