/** Removes remote entries after checking each is still what the scan saw; folders only once empty (RMDIR), never recursively. */
import { joinRel } from '../../paths.js';
import type { RelPath } from '../../types.js';
import type { RemoveItem, StepResult } from '../tree.js';
import { backUpRemote } from './backup-remote.js';
import { type RemoteContext, stillExpected } from './context.js';
import { remotePath } from './entries.js';
import { lstatOrGone, rmdir, unlink } from './remote-fs.js';
import { SftpError } from './sftp-errors.js';
import { CHANGED, DONE, failed, parentRefusal, VANISHED } from './steps.js';

export async function remove(ctx: RemoteContext, parent: RelPath, items: readonly RemoveItem[]): Promise<StepResult[]> {
  const s = ctx.session;
  const refused = await parentRefusal(ctx.guard, parent, items);
  if (refused) return refused;
  return Promise.all(items.map(async ({ name, expect }): Promise<StepResult> => {
    const path = joinRel(parent, name);
    const abs = remotePath(ctx.root, path);
    try {
      const state = stillExpected(await lstatOrGone(s, abs), expect);
      if (state === 'gone') return VANISHED;
      if (state === 'changed') return CHANGED;
      if (expect.kind === 'dir') {
        ctx.guard.forget(path);
        await rmdir(s, abs).catch(async (err: unknown) => {
          // OpenSSH reports ENOTEMPTY as a plain failure: still there means something appeared inside it since the scan.
          if (await lstatOrGone(s, abs)) throw Object.assign(new Error('folder not empty'), { code: 'ENOTEMPTY' });
          throw err;
        });
      } else if (ctx.backup) {
        await backUpRemote(ctx, path);
      } else {
        await unlink(s, abs);
      }
      return DONE;
    } catch (err) {
      if (err instanceof SftpError && err.code === 'ENOENT') return VANISHED;
      if ((err as { code?: string }).code === 'ENOTEMPTY') return CHANGED;
      return failed(err);
    }
  }));
}
