/** The only writer: runs a plan's actions in order, neighbours of a parallel batch at once, and records outcomes. */
import pLimit from 'p-limit';
import { parentOf } from '../paths.js';
import { batchOf } from '../plan/order.js';
import type { Action, Outcome, Plan } from '../types.js';
import type { ApplyContext } from './context.js';
import { makeDir, makeSymlink, moveEntry } from './make-entry.js';
import { removeEntry } from './remove.js';
import { setAttrs } from './set-attrs.js';
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
    case 'move':
      return moveEntry(ctx, action);
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
function tracer(): ((kind: string, ms: number, n: number) => void) | undefined {
  if (process.env['ABSYNC_TRACE'] !== '1') return undefined;
  const totals = new Map<string, { ms: number; n: number }>();
  return (kind, ms, n) => {
    if (kind === '') {
      for (const [k, v] of totals) process.stderr.write(`absync trace: apply ${k}: ${v.n} actions, ${v.ms.toFixed(1)} ms\n`);
      return;
    }
    const t = totals.get(kind) ?? { ms: 0, n: 0 };
    totals.set(kind, { ms: t.ms + ms, n: t.n + n });
  };
}

export async function applyPlan(ctx: ApplyContext, plan: Plan, concurrency: number, hooks: ApplyHooks = {}): Promise<Outcome[]> {
  const trace = tracer();
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
    if (trace) trace(batch.replace(/:\d+$/, ''), performance.now() - t0, j - i);
    i = j;
  }
  trace?.('', 0, 0);
  return outcomes;
}
