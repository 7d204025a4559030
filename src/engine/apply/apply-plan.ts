/**
 * The only writer: runs a plan's actions in order through the destination tree. Neighbouring actions of one batch
 * kind (batches.ts) may run at once; they are grouped by what they do and the folder they do it in, up to BATCH per
 * tree call (one trip to a thread for the native tree, a pipelined round for a remote one), with `concurrency`
 * calls in flight, taking folders in turn. Stops between calls when `signal` aborts (the calls in flight finish, so
 * no temporary file is left).
 */
import pLimit from 'p-limit';
import type { DestinationTree, SourceTree, StepResult } from '../backends/tree.js';
import { baseName, parentOf } from '../paths.js';
import { traceLine, tracing } from '../trace.js';
import type { Action, ContentSource, Outcome, Plan, RelPath, Snapshot } from '../types.js';
import { batchOf } from './batches.js';
import { failedOutcome, outcomeOf } from './outcome.js';

/** Entries per tree call: enough to amortise a trip, few enough to keep both cores busy and aborts prompt. */
const BATCH = 48;
/**
 * Bytes of file content per tree call. A call runs to its end once started (a stop signal waits for it), so a folder
 * of large files must not go out as one call of 48: each large file is a call of its own, and a stop waits only for
 * the files in flight, not for the rest of their folder.
 */
const BATCH_BYTES = 1024 * 1024;

/** The bytes an action writes (file content; other steps count as nothing). */
function bytesOf(a: Action): number {
  return a.op === 'copy' || a.op === 'update' ? a.source.size : 0;
}

export interface ApplyContext {
  readonly source: SourceTree;
  readonly destination: DestinationTree;
  /** The source snapshot (its `contents` say where a vinyl file's bytes are). */
  readonly snapshot: Snapshot;
}

export interface ApplyHooks {
  /** Called after each action; `signal` aborts between calls (the calls in flight finish). */
  readonly onOutcome?: (outcome: Outcome) => void;
  readonly signal?: AbortSignal;
}

/** One tree call: actions of one kind in one folder (renames: any folders). */
interface Call {
  readonly kind: Action['op'];
  readonly parent: RelPath;
  readonly actions: Action[];
}

function contentOf(snapshot: Snapshot, path: RelPath): ContentSource | undefined {
  return snapshot.contents?.get(path);
}

/** Runs one call; every action gets its outcome, a failure of the whole call included. */
async function runCall(ctx: ApplyContext, call: Call, slots: Map<number, string>): Promise<Outcome[]> {
  const tree = ctx.destination;
  const names = call.actions.map((a) => baseName(a.path));
  let results: StepResult[];
  try {
    results = await dispatch(ctx, tree, call, names, slots);
  } catch (err) {
    return call.actions.map((a) => failedOutcome(a, err));
  }
  return call.actions.map((a, i) => outcomeOf(a, results[i] ?? { status: 'failed', error: { code: 'EUNKNOWN', message: 'no result' } }));
}

function dispatch(ctx: ApplyContext, tree: DestinationTree, call: Call, names: string[], slots: Map<number, string>): Promise<StepResult[]> {
  const { parent, actions } = call;
  switch (call.kind) {
    case 'mkdir':
      return tree.makeDirs(parent, names.map((name) => ({ name })));
    case 'copy':
    case 'update':
      return tree.writeFiles(parent, actions.map((a, i) => {
        const w = a as Extract<Action, { op: 'copy' | 'update' }>;
        const c = contentOf(ctx.snapshot, w.path);
        return {
          name: names[i] as string,
          content: c === undefined ? { type: 'tree' as const, path: w.path } : c.type === 'path' ? { type: 'file' as const, path: c.path } : { type: 'bytes' as const, data: c.data },
          source: w.source,
          ...(w.mode !== undefined ? { mode: w.mode } : {}),
          ...(w.op === 'update' ? { replace: w.expect } : {}),
        };
      }), ctx.source);
    case 'setAttrs':
      return tree.setAttrs(parent, actions.map((a, i) => {
        const s = a as Extract<Action, { op: 'setAttrs' }>;
        return { name: names[i] as string, kind: s.kind, ...(s.mode !== undefined ? { mode: s.mode } : {}), ...(s.mtimeMs !== undefined ? { mtimeMs: s.mtimeMs } : {}) };
      }));
    case 'delete':
      return tree.remove(parent, actions.map((a, i) => ({ name: names[i] as string, expect: (a as Extract<Action, { op: 'delete' }>).expect })));
    case 'symlink':
      return tree.symlinks(parent, actions.map((a, i) => {
        const l = a as Extract<Action, { op: 'symlink' }>;
        return { name: names[i] as string, target: l.target, mtimeMs: l.mtimeMs, ...(l.expect ? { replace: l.expect } : {}) };
      }));
    case 'rename':
      return tree.rename(actions.map((a) => {
        const r = a as Extract<Action, { op: 'rename' }>;
        return { from: r.from, to: r.path, expect: r.expect };
      }));
    case 'stage':
      return tree.rename(actions.map((a) => {
        const s = a as Extract<Action, { op: 'stage' }>;
        const tmp = tree.tempName();
        slots.set(s.slot, tmp);
        return { from: s.path, to: tmp, expect: s.expect };
      }));
    case 'unstage': {
      const found = actions.map((a) => slots.get((a as Extract<Action, { op: 'unstage' }>).slot));
      const ready = actions.filter((_, i) => found[i] !== undefined);
      return tree.rename(ready.map((a) => {
        const u = a as Extract<Action, { op: 'unstage' }>;
        return { from: slots.get(u.slot) as string, to: u.path, ...(u.expect ? { replace: u.expect } : {}) };
      })).then((done) => {
        // A move whose staging did not happen (its file changed) has nothing to bring back.
        let k = 0;
        return found.map((f): StepResult => (f === undefined ? { status: 'vanished' } : (done[k++] as StepResult)));
      });
    }
  }
}

/** Splits a group of actions that may run at once into calls: one kind, one folder, up to BATCH actions. */
function callsOf(group: readonly Action[]): Call[] {
  const open = new Map<string, Call>();
  const bytes = new Map<Call, number>();
  const calls: Call[] = [];
  for (const a of group) {
    // Renames and moves name two folders: they go in calls of their own kind, whatever their folders.
    const parent = a.op === 'rename' || a.op === 'stage' || a.op === 'unstage' ? '' : parentOf(a.path);
    const key = `${a.op}\0${parent}`;
    const size = bytesOf(a);
    let call = open.get(key);
    if (!call || call.actions.length >= BATCH || (call.actions.length > 0 && (bytes.get(call) as number) + size > BATCH_BYTES)) {
      call = { kind: a.op, parent, actions: [] };
      open.set(key, call);
      calls.push(call);
    }
    call.actions.push(a);
    bytes.set(call, (bytes.get(call) ?? 0) + size);
  }
  return spreadByFolder(calls);
}

/** Creating files in one folder serialises on that folder's lock in the kernel: take calls from different folders in turn. */
function spreadByFolder(calls: Call[]): Call[] {
  const byFolder = new Map<string, Call[]>();
  for (const c of calls) byFolder.set(c.parent, [...(byFolder.get(c.parent) ?? []), c]);
  if (byFolder.size < 2) return calls;
  const lists = [...byFolder.values()];
  const out: Call[] = [];
  for (let k = 0; out.length < calls.length; k++) for (const list of lists) if (k < list.length) out.push(list[k] as Call);
  return out;
}

/** Where a stage may go next: new folders (shallowest first), then the writes, then the folders' own attributes. */
function stageStep(batch: string): number {
  if (batch.startsWith('mkdir:')) return 0;
  if (batch === 'write') return 1;
  if (batch.startsWith('dir-attrs:')) return 2;
  return -1;
}

/**
 * New folders, the files and links that go into them, and then the folders' own modes and mtimes, as one stage in
 * which each call waits only for what it needs, not for every call of the batch before it: a call into a folder
 * starts once that folder is made (when this stage makes it); a folder's attributes once it is made and every call
 * working inside it is done (its writes, its subfolders made and their attributes: deepest first, as before). A first
 * copy's writes begin behind the first depth of folders (2,000 folders made one round after another kept a remote
 * first copy's writes waiting 100 ms), and the folders' times go as each folder is finished, not after the last file.
 * A call waits before it takes a slot, so waiting calls never hold the slots the calls they wait for need; a call
 * that failed lets its waiters go too (they fail as they did behind a whole batch). The root's attributes wait for
 * every call.
 */
async function inDependencyOrder(calls: readonly Call[], run: (call: Call) => Promise<void>): Promise<void> {
  const made = new Map<RelPath, [Promise<void>]>();
  const inside = new Map<RelPath, Promise<void>[]>();
  const settledAll: Promise<void>[] = [];
  // A folder's own making, if this stage makes it, and every call so far that works inside it.
  const finished = (folder: RelPath): Promise<void>[] => [...(made.get(folder) ?? []), ...(inside.get(folder) ?? [])];
  const started = calls.map((call) => {
    const waits = call.kind !== 'setAttrs'
      ? made.get(call.parent) ?? []
      : call.actions.some((a) => a.path === '') ? [...settledAll] : call.actions.flatMap((a) => finished(a.path));
    const done = waits.length > 0 ? Promise.all(waits).then(() => run(call)) : run(call);
    const settled = done.then(() => undefined, () => undefined);
    settledAll.push(settled);
    const here = inside.get(call.parent);
    if (here) here.push(settled);
    else inside.set(call.parent, [settled]);
    if (call.kind === 'mkdir') for (const a of call.actions) made.set(a.path, [settled]);
    return done;
  });
  await Promise.all(started);
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
  const slots = new Map<number, string>();
  const record = (o: Outcome): void => {
    outcomes.push(o);
    hooks.onOutcome?.(o);
  };
  const actions = plan.actions;
  // Each action's batch, once (a mkdir's or a folder attribute's names its depth).
  const batchAt = actions.map(batchOf);
  const run = (call: Call) => limit(async () => {
    if (hooks.signal?.aborted) return;
    for (const o of await runCall(ctx, call, slots)) record(o);
  });
  let i = 0;
  while (i < actions.length) {
    if (hooks.signal?.aborted) break;
    const batch = batchAt[i] as string;
    const t0 = performance.now();
    let j = i + 1;
    if (batch !== 'serial') while (j < actions.length && batchAt[j] === batch) j++;
    const first = stageStep(batch);
    if (first === 0 || first === 1) {
      const batches: Action[][] = [actions.slice(i, j)];
      const kinds = new Set([batch.replace(/:\d+$/, '')]);
      for (let step = first; j < actions.length;) {
        const next = batchAt[j] as string;
        const nextStep = stageStep(next);
        // Onwards only (mkdir, write, dir-attrs), and one write batch.
        if (nextStep < step || nextStep < 0 || (nextStep === 1 && step === 1)) break;
        step = nextStep;
        const from = j;
        while (j < actions.length && batchAt[j] === next) j++;
        batches.push(actions.slice(from, j));
        kinds.add(next.replace(/:\d+$/, ''));
      }
      await inDependencyOrder(batches.flatMap((b) => callsOf(b)), run);
      steps?.add([...kinds].join('+'), performance.now() - t0, j - i);
    } else {
      await Promise.all(callsOf(actions.slice(i, j)).map(run));
      steps?.add(batch, performance.now() - t0, j - i);
    }
    i = j;
  }
  steps?.print();
  return outcomes;
}
