/** Deletes one destination entry, after checking it is still what scan saw. Folders only once empty; never rm -rf. */
import { rmdir, unlink } from 'node:fs/promises';
import { isGone, isNotEmpty } from '../errors.js';
import { toAbs } from '../paths.js';
import type { DeleteAction } from '../types.js';
import { backUp } from './backup.js';
import type { ApplyContext } from './context.js';
import { checkExpected } from './expect.js';
import type { WriteResult } from './write-file.js';

export async function removeEntry(ctx: ApplyContext, action: DeleteAction): Promise<WriteResult> {
  ctx.parents.check(action.path);
  const abs = toAbs(ctx.root, action.path);
  const state = await checkExpected(abs, action.expect);
  if (state === 'gone') return 'vanished';
  if (state === 'changed') return 'changed-since-scan';
  try {
    if (action.expect.kind === 'dir') {
      ctx.parents.forget(action.path);
      await rmdir(abs);
    } else if (ctx.backup) {
      await backUp(ctx, action.path);
    } else {
      await unlink(abs);
    }
    return 'done';
  } catch (err) {
    if (isGone(err)) return 'vanished';
    // Something appeared inside the folder since the scan: leave it for the next run.
    if (action.expect.kind === 'dir' && isNotEmpty(err)) return 'changed-since-scan';
    throw err;
  }
}
