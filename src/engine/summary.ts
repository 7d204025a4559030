/** Folds a plan and its outcomes into the Summary every face reports. */
import type { Action, ActionCounts, Failure, Outcome, Plan, Summary } from './types.js';

type Counts = { -readonly [K in keyof ActionCounts]: number };

function count(c: Counts, a: Action): void {
  switch (a.op) {
    case 'copy':
      c.copied++;
      break;
    case 'update':
      c.updated++;
      break;
    case 'delete':
      c.deleted++;
      break;
    case 'move':
      if (a.step !== 'stage') c.moved++;
      break;
    case 'mkdir':
      c.created++;
      break;
    case 'symlink':
      if (a.expect) c.updated++;
      else c.copied++;
      break;
    case 'setAttrs':
      c.attrs++;
      break;
  }
}

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
}

function zero(): Counts {
  return { copied: 0, updated: 0, deleted: 0, moved: 0, created: 0, attrs: 0 };
}

export function summarize({ source, destination, plan, outcomes, startedAt, now, scanned, phases }: SummaryInput): Summary {
  const c = zero();
  const planned = zero();
  for (const a of plan.actions) count(planned, a);
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
    count(c, a);
    if (a.op === 'move' && a.step !== 'stage') moves.push({ from: a.origin ?? a.from, to: a.path });
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
  };
}
