/** Mode bits and mtime, set after content so the next quick check sees the entry unchanged. */
import { chmod, lutimes, utimes } from 'node:fs/promises';
import { toAbs } from '../paths.js';
import { toUtimes } from '../times.js';
import type { SetAttrsAction } from '../types.js';
import type { ApplyContext } from './context.js';

export async function setAttrs(ctx: ApplyContext, action: SetAttrsAction): Promise<void> {
  ctx.parents.check(action.path);
  const abs = toAbs(ctx.root, action.path);
  if (action.kind === 'symlink') {
    if (action.mtimeMs !== undefined) await lutimes(abs, Date.now() / 1000, toUtimes(action.mtimeMs));
    return;
  }
  if (action.mode !== undefined) await chmod(abs, action.mode);
  if (action.mtimeMs !== undefined) await utimes(abs, Date.now() / 1000, toUtimes(action.mtimeMs));
}
