/**
 * File writes through the native addon (native/copy.c): copy, torn check, mode, mtime, the expectation check of an
 * update and the rename into place, a folder's batch per trip to the thread pool, in a folder opened without
 * following any symlink. Same results as the JavaScript path in write-file.ts (test/engine/native-copy.test.ts).
 */
import { unlink } from 'node:fs/promises';
import { type Addon, COPY } from '../native.js';
import { baseName, diskPathOf, parentOf, toAbs } from '../paths.js';
import type { CopyAction, RelPath, UpdateAction } from '../types.js';
import { type ApplyContext, tempName } from './context.js';
import { UnsafeParentError } from './safe-parent.js';
import { putInPlace, TornCopyError, TRIES, type WriteResult } from './write-result.js';

/** What became of one file of a native batch: a WriteResult, or the error to report for it. */
export type BatchResult = WriteResult | Error;

/** The error for a write refused because a folder on the way is not a real folder. */
export function unsafeParent(ctx: ApplyContext, path: RelPath): Error {
  try {
    // The JavaScript check names what is wrong (a symlink, not a folder) when it still is.
    ctx.parents.check(path);
  } catch (err) {
    return err as Error;
  }
  return new UnsafeParentError(`destination parent ${JSON.stringify(parentOf(path))} is not a real folder; refusing to write through it`);
}

/** An error from the addon's "code\nmessage" text. */
export function nativeError(text: string | undefined): Error {
  const [code = 'EUNKNOWN', message = 'failed'] = (text ?? '').split('\n');
  return Object.assign(new Error(message), { code });
}

/**
 * Writes files of one destination folder through the native addon (native/copy.c): copy, torn check, mode, mtime
 * and, with `rename`, the rename into place, in one trip to the thread pool, in a folder opened without following any
 * symlink. Without `rename` the copies are left under the returned temporary names.
 */
export async function writeBatchNative(
  native: Addon, ctx: ApplyContext, parent: RelPath, actions: readonly (CopyAction | UpdateAction)[], rename: boolean,
): Promise<{ results: BatchResult[]; tmpNames: string[] }> {
  const tmpNames = actions.map(() => tempName());
  const sources = actions.map((a) => diskPathOf(ctx.source, a.path) as string);
  const expect = actions.flatMap((a) => (a.op === 'update' ? [a.expect.size ?? -1, a.expect.mtimeMs ?? -1, a.expect.ino ?? -1] : [Number.NaN, Number.NaN, Number.NaN]));
  const { results, errors } = await native.copy(ctx.root, parent, sources, tmpNames, actions.map((a) => baseName(a.path)), rename, expect);
  return {
    tmpNames,
    results: actions.map((a, i): BatchResult => {
      switch (results[i]) {
        case COPY.done:
          return 'done';
        case COPY.gone:
          return 'vanished';
        case COPY.torn:
          return new TornCopyError(`source changed while being copied (${TRIES} tries); will retry next run`);
        case COPY.unsafe:
          return unsafeParent(ctx, a.path);
        case COPY.changed:
          return 'changed-since-scan';
        default:
          return nativeError(errors[i]);
      }
    }),
  };
}

/**
 * One file through the addon. With a backup folder, an update comes back before its rename, so that the old file is
 * moved to the backup first; otherwise the addon checks the expectation and renames.
 */
export async function writeNative(native: Addon, ctx: ApplyContext, action: CopyAction | UpdateAction): Promise<WriteResult> {
  const parent = parentOf(action.path);
  const inOne = action.op === 'copy' || !ctx.backup;
  const { results, tmpNames } = await writeBatchNative(native, ctx, parent, [action], inOne);
  const r = results[0] as BatchResult;
  if (r instanceof Error) throw r;
  if (inOne || r !== 'done') return r;
  const tmpAbs = toAbs(toAbs(ctx.root, parent), tmpNames[0] as string);
  let placed = false;
  try {
    const result = await putInPlace(ctx, action, tmpAbs);
    placed = result === 'done';
    return result;
  } finally {
    if (!placed) await unlink(tmpAbs).catch(() => undefined);
  }
}

