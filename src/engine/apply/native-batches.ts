/**
 * With the native addon, apply's most numerous steps go a folder at a time: file writes whose bytes are on disk,
 * new folders, and folder attributes, each batch one trip to the thread pool with the parent folder opened once
 * (native/copy.c, native/dirs.c). A first copy of 20,000 files in 2,000 folders here: 20,000 + 6,000 pool trips and
 * 22,000 main-thread lstats become ~2,500 trips. Everything else goes one action at a time (apply-plan.ts).
 */
import { DIR_OP, DIRS, nativeAddon, type Addon } from '../native.js';
import { baseName, diskPathOf, parentOf } from '../paths.js';
import type { Action, CopyAction, MkdirAction, Outcome, SetAttrsAction, UpdateAction } from '../types.js';
import type { ApplyContext } from './context.js';
import { failedOutcome, outcomeOf } from './outcome.js';
import { type BatchResult, nativeError, unsafeParent, writeBatchNative } from './write-native.js';

/** Entries per trip: enough to amortise the trip, few enough to keep both cores busy and aborts prompt. */
const BATCH = 48;

type Batchable = CopyAction | UpdateAction | MkdirAction | (SetAttrsAction & { kind: 'dir' });

function batchable(ctx: ApplyContext, a: Action): a is Batchable {
  const onDisk = (): boolean => diskPathOf(ctx.source, a.path) !== undefined;
  if (a.op === 'copy') return onDisk();
  // An update with a backup folder moves the old file away first, in JavaScript (write-file.ts).
  if (a.op === 'update') return onDisk() && !ctx.backup;
  if (a.op === 'mkdir') return a.path !== '';
  return a.op === 'setAttrs' && a.kind === 'dir' && a.path !== '';
}

/** Splits a group of actions that may run at once into native batches (same op, same folder) and the rest. */
export function nativeBatches(ctx: ApplyContext, group: readonly Action[]): { batches: Batchable[][]; rest: Action[] } {
  if (!nativeAddon()) return { batches: [], rest: [...group] };
  const open = new Map<string, Batchable[]>();
  const batches: Batchable[][] = [];
  const rest: Action[] = [];
  for (const a of group) {
    if (!batchable(ctx, a)) {
      rest.push(a);
      continue;
    }
    const key = `${a.op === 'update' ? 'copy' : a.op}\0${parentOf(a.path)}`;
    let list = open.get(key);
    if (!list || list.length >= BATCH) {
      list = [];
      open.set(key, list);
      batches.push(list);
    }
    list.push(a);
  }
  return { batches, rest };
}

async function runDirs(native: Addon, ctx: ApplyContext, batch: readonly (MkdirAction | SetAttrsAction)[]): Promise<Outcome[]> {
  const first = batch[0] as MkdirAction | SetAttrsAction;
  const parent = parentOf(first.path);
  const isMkdir = first.op === 'mkdir';
  const { results, errors } = await native.dirs(
    ctx.root, parent, isMkdir ? DIR_OP.mkdir : DIR_OP.attrs, batch.map((a) => baseName(a.path)),
    batch.map((a) => (a.op === 'setAttrs' && a.mode !== undefined ? a.mode : -1)),
    batch.map((a) => (a.op === 'setAttrs' && a.mtimeMs !== undefined ? a.mtimeMs : Number.NaN)),
  );
  return batch.map((action, i): Outcome => {
    switch (results[i]) {
      case DIRS.done:
        if (isMkdir) ctx.parents.trust(action.path);
        return outcomeOf(action, 'done');
      case DIRS.gone:
        return outcomeOf(action, 'vanished');
      case DIRS.changed:
        return outcomeOf(action, 'changed-since-scan');
      case DIRS.unsafe:
        return failedOutcome(action, unsafeParent(ctx, action.path));
      default:
        return failedOutcome(action, nativeError(errors[i]));
    }
  });
}

/** Runs one batch; every action gets its outcome, a failure of the whole trip included. */
export async function runNativeBatch(ctx: ApplyContext, batch: readonly Batchable[]): Promise<Outcome[]> {
  const native = nativeAddon() as Addon;
  try {
    if (batch[0]?.op !== 'copy' && batch[0]?.op !== 'update') return await runDirs(native, ctx, batch as (MkdirAction | SetAttrsAction)[]);
    const copies = batch as (CopyAction | UpdateAction)[];
    const { results } = await writeBatchNative(native, ctx, parentOf((copies[0] as CopyAction | UpdateAction).path), copies, true);
    return copies.map((action, i) => {
      const r = results[i] as BatchResult;
      return r instanceof Error ? failedOutcome(action, r) : outcomeOf(action, r);
    });
  } catch (err) {
    return batch.map((action) => failedOutcome(action, err));
  }
}
