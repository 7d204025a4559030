/** The only writer: runs a plan's actions in order, neighbours of a parallel batch at once, and records outcomes. */
import pLimit from 'p-limit';
import { parentOf } from '../paths.js';
import { batchOf } from './batches.js';
import type { Action, Outcome, Plan } from '../types.js';
import type { ApplyContext } from './context.js';
import { makeDir, makeSymlink, renameEntry, stageEntry, unstageEntry } from './make-entry.js';
import { removeEntry } from './remove.js';
import { setAttrs } from './set-attrs.js';
import { traceLine, tracing } from '../trace.js';
import { nativeBatches, runNativeBatch } from './native-batches.js';
import { failedOutcome, outcomeOf } from './outcome.js';
import { type WriteResult, writeFileAction } from './write-file.js';

async function run(ctx: ApplyContext, action: Action): Promise<WriteResult> {
  switch (action.op) {
    case 'copy':
    case 'update':
      return writeFileAction(ctx, action);
    case 'delete':
      return removeEntry(ctx, action);
    case 'mkdir':
      return makeDir(ctx, action);
    case 'symlink':
      return makeSymlink(ctx, action);
    case 'rename':
      return renameEntry(ctx, action);
    case 'stage':
      return stageEntry(ctx, action);
    case 'unstage':
      return unstageEntry(ctx, action);
    case 'setAttrs':
      await setAttrs(ctx, action);
      return 'done';
  }
}

async function runOne(ctx: ApplyContext, action: Action): Promise<Outcome> {
  try {
    return outcomeOf(action, await run(ctx, action));
  } catch (err) {
    return failedOutcome(action, err);
  }
}

export interface ApplyHooks {
  /** Called after each action; `signal` aborts between actions (the action in flight finishes). */
  readonly onOutcome?: (outcome: Outcome) => void;
  readonly signal?: AbortSignal;
}

/**
 * Runs of one batch are in folder order; creating files in one folder serialises on that folder's lock in the kernel,
 * so the actions in flight are taken from different folders in turn.
 */
function spreadByFolder(group: readonly Action[]): Action[] {
  const byFolder = new Map<string, Action[]>();
  for (const a of group) {
    const dir = parentOf(a.path);
    const list = byFolder.get(dir);
    if (list) list.push(a);
    else byFolder.set(dir, [a]);
  }
  if (byFolder.size < 2) return [...group];
  const lists = [...byFolder.values()];
  const out: Action[] = [];
  for (let k = 0; out.length < group.length; k++) for (const list of lists) if (k < list.length) out.push(list[k] as Action);
  return out;
}

/** ABSYNC_TRACE=1: time and count per kind of step, printed at the end of apply. */
class StepTotals {
  private readonly totals = new Map<string, { ms: number; n: number }>();

  add(batch: string, ms: number, n: number): void {
    const kind = batch.replace(/:\d+$/, '');
    const t = this.totals.get(kind) ?? { ms: 0, n: 0 };
    this.totals.set(kind, { ms: t.ms + ms, n: t.n + n });
  }

  print(): void {
    for (const [k, v] of this.totals) traceLine(`apply ${k}: ${v.n} actions, ${v.ms.toFixed(1)} ms`);
  }
}

export async function applyPlan(ctx: ApplyContext, plan: Plan, concurrency: number, hooks: ApplyHooks = {}): Promise<Outcome[]> {
  const steps = tracing() ? new StepTotals() : undefined;
  const outcomes: Outcome[] = [];
  const limit = pLimit(concurrency);
  const record = (o: Outcome): void => {
    outcomes.push(o);
    hooks.onOutcome?.(o);
  };
  const actions = plan.actions;
  let i = 0;
  while (i < actions.length) {
    if (hooks.signal?.aborted) break;
    const batch = batchOf(actions[i] as Action);
    const t0 = performance.now();
    let j = i + 1;
    if (batch !== 'serial') while (j < actions.length && batchOf(actions[j] as Action) === batch) j++;
    if (j - i === 1) {
      record(await runOne(ctx, actions[i] as Action));
    } else {
      const { batches, rest } = nativeBatches(ctx, actions.slice(i, j));
      await Promise.all([
        ...batches.map((b) => limit(async () => {
          if (hooks.signal?.aborted) return;
          for (const o of await runNativeBatch(ctx, b)) record(o);
        })),
        ...spreadByFolder(rest).map((a) => limit(async () => {
          if (hooks.signal?.aborted) return;
          record(await runOne(ctx, a));
        })),
      ]);
    }
    steps?.add(batch, performance.now() - t0, j - i);
    i = j;
  }
  steps?.print();
  return outcomes;
}
