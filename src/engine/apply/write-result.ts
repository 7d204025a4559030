/** What the JavaScript (write-file.ts) and native (write-native.ts) write paths share. */
import { rename } from 'node:fs/promises';
import { toAbs } from '../paths.js';
import type { CopyAction, UpdateAction } from '../types.js';
import { backUp } from './backup.js';
import type { ApplyContext } from './context.js';
import { checkExpected } from './expect.js';

export type WriteResult = 'done' | 'vanished' | 'changed-since-scan';

/** Tries before a file that keeps changing while it is copied is reported as torn (native/copy.c: the same). */
export const TRIES = 3;

export class TornCopyError extends Error {
  readonly code = 'ETORN';
}

/**
 * Renames a finished temporary file over `action.path`. An update replaces only the file the scan saw, after moving
 * it to the backup folder if there is one; otherwise it is 'changed-since-scan' and the caller removes the temporary.
 */
export async function putInPlace(ctx: ApplyContext, action: CopyAction | UpdateAction, tmpAbs: string): Promise<WriteResult> {
  const finalAbs = toAbs(ctx.root, action.path);
  if (action.op === 'update') {
    if ((await checkExpected(finalAbs, action.expect)) !== 'ok') return 'changed-since-scan';
    await backUp(ctx, action.path);
  }
  await rename(tmpAbs, finalAbs);
  return 'done';
}
