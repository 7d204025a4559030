/** Folds a plan and its outcomes into the Summary every face reports. */
import { type Counter, counterOf, moveOf } from './action-kinds.js';
import type { Action, Failure, Outcome, Plan, Summary } from './types.js';

type Counts = { -readonly [K in Counter]: number };

export interface SummaryInput {
  readonly source: string;
  readonly destination: string;
  readonly plan: Plan;
  /** Undefined for a dry run: every planned action is counted as if done. */
  readonly outcomes?: readonly Outcome[];
  readonly startedAt: number;
  readonly now: number;
  /** Entries each scan saw. */
  readonly scanned?: Summary['scanned'];
  /** Milliseconds per phase. */
  readonly phases?: Summary['phaseMs'];
  /** The destination's mtime grid, when it is whole seconds (said in the summary). */
  readonly mtimeStepUs?: number;
  /** Why it is, when not for an SFTP-only server. */
  readonly mtimeStepWhy?: string;
  /** The kind of the destination tree the run wrote through. */
  readonly engine?: Summary['engine'];
}

function zero(): Counts {
  return { copied: 0, updated: 0, deleted: 0, moved: 0, created: 0, attrs: 0 };
}

export function summarize({ source, destination, plan, outcomes, startedAt, now, scanned, phases, mtimeStepUs, mtimeStepWhy, engine }: SummaryInput): Summary {
  const c = zero();
  const planned = zero();
  for (const a of plan.actions) {
    const counter = counterOf(a);
    if (counter) planned[counter]++;
  }
  const failures: Failure[] = [...plan.failures];
  let bytes = 0;
  let vanished = 0;
  let skipped = plan.skipped.length;
  const done: Action[] = [];
  if (outcomes === undefined) {
    done.push(...plan.actions);
    bytes = plan.bytesToCopy;
  } else {
    for (const o of outcomes) {
      if (o.status === 'done') {
        done.push(o.action);
        bytes += o.bytes;
      } else if (o.status === 'failed') {
        failures.push({ path: o.action.path, op: o.action.op, code: o.error?.code ?? 'EUNKNOWN', message: o.error?.message ?? 'failed' });
      } else if (o.status === 'skipped') {
        skipped++;
      } else {
        vanished++;
      }
    }
  }
  const moves: { from: string; to: string }[] = [];
  for (const a of done) {
    const counter = counterOf(a);
    if (counter) c[counter]++;
    const move = moveOf(a);
    if (move) moves.push(move);
  }
  return {
    source,
    destination,
    ...c,
    skipped,
    failed: failures.length,
    vanished,
    bytes,
    durationMs: Math.round(now - startedAt),
    dryRun: outcomes === undefined,
    failures,
    skips: plan.skipped,
    moves,
    planned,
    bytesPlanned: plan.bytesToCopy,
    scanned: scanned ?? { source: 0, destination: 0 },
    phaseMs: phases ?? { scan: 0, plan: 0, apply: 0 },
    ...(mtimeStepUs !== undefined && mtimeStepUs >= 1e6 ? { mtimeStepUs, ...(mtimeStepWhy !== undefined ? { mtimeStepWhy } : {}) } : {}),
    ...(engine !== undefined ? { engine } : {}),
  };
}
