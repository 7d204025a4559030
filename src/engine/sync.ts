/**
 * One run: refuse -> lock -> scan both trees -> hash what the planner asks -> plan -> guards -> apply -> summary.
 * Faces call `runSync` (or `sync`) and translate the Summary; nothing here knows about gulp, terminals or logs.
 */
import { mkdir, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { relative } from 'node:path';
import { acquireLock, type Release } from './lock.js';
import { type ResolvedOptions, resolveOptions, type SyncOptions } from './options.js';
import type { PlanRules } from './plan/plan-mirror.js';
import { AbsyncError, describeError, isGone } from './errors.js';
import { engineInUse } from './engine-info.js';
import { traceLine, tracing } from './trace.js';
import { isInsideAbs, toAbs } from './paths.js';
import { checkDestination, resolveRoots } from './roots.js';
import { createFilter, createMatcher, type FilterRules } from './scan/filter.js';
import { scanBoth, scanDestination } from './scan/scan-both.js';
import { ProgressMeter } from './progress.js';
import { summarize } from './summary.js';
import type { Outcome, Plan, Progress, RelPath, Snapshot, Summary } from './types.js';
import { mtimeOf, sameMtime, toUtimes } from './times.js';

export interface RunHooks {
  /** A source snapshot built elsewhere (the gulp plugin's vinyl files) instead of scanning `options.source`. */
  readonly source?: Snapshot;
  readonly onOutcome?: (outcome: Outcome) => void;
  /** Called once the plan is made (and guarded), before anything is applied; a dry run ends after it. */
  readonly onPlan?: (plan: Plan) => void;
  /** Progress, batched (a few events a second while applying, one per phase); `options.onProgress` also gets them. */
  readonly onProgress?: (progress: Progress) => void;
  /** Stops between actions; the action in flight finishes, so no temporary file is left behind. */
  readonly signal?: AbortSignal;
  /** Only these relative paths changed (from a watcher): scan just them, their subtrees and their parents. */
  readonly paths?: readonly RelPath[];
}

export interface SyncResult {
  readonly plan: Plan;
  readonly summary: Summary;
  /** One per action that ran (none for a dry run), in completion order. */
  readonly outcomes: readonly Outcome[];
}

const EMPTY: Snapshot = { root: '', entries: new Map() };

/** The planner's modules, loaded once; runSync starts loading them while the scan runs on other threads. */
let planner: Promise<[typeof import('./plan/hash-needs.js'), typeof import('./plan/plan-mirror.js'), typeof import('./plan/guards.js')]> | undefined;
function loadPlanner(): NonNullable<typeof planner> {
  planner ??= Promise.all([import('./plan/hash-needs.js'), import('./plan/plan-mirror.js'), import('./plan/guards.js')]);
  return planner;
}

/** Builds the plan exactly as a real run would; a dry run stops here. */
export async function makePlan(options: ResolvedOptions, source: Snapshot, destination: Snapshot): Promise<Plan> {
  const [{ hashNeeds }, { planMirror }, { guardPlan }] = await loadPlanner();
  const rules: PlanRules = {
    checksum: options.checksum,
    delete: options.delete,
    detectRenames: options.detectRenames,
    ...(options.protect.length > 0 ? { isProtected: createMatcher(options.protect) } : {}),
  };
  const needs = hashNeeds(source, destination, rules);
  // Hashing and applying are loaded when needed: a run that finds nothing to do starts faster without them.
  // Without --checksum, digests only confirm renames: SHA-1 runs at 2.4x the speed of MD5 here (CPU extensions).
  const algorithm = options.checksum ? options.hashAlgorithm : 'sha1';
  const digests = needs.size === 0 ? new Map() : await (await import('./hash.js')).computeDigests(needs, source, destination, algorithm);
  const plan = planMirror({ source, destination, digests }, rules);
  guardPlan(plan, source, destination, options);
  return plan;
}

async function fixRootTimes(destination: string, source: Snapshot): Promise<void> {
  const want = source.rootEntry;
  if (!want) return;
  const st = await stat(destination, { bigint: true }).catch(() => undefined);
  if (st && !sameMtime(mtimeOf(st), want.mtimeMs)) await utimes(destination, Date.now() / 1000, toUtimes(want.mtimeMs));
}

/** The only writer, loaded when there is something to write. */
async function apply(plan: Plan, source: Snapshot, root: string, options: ResolvedOptions, onOutcome: ((o: Outcome) => void) | undefined, signal: AbortSignal | undefined): Promise<Outcome[]> {
  const { applyPlan } = await import('./apply/apply-plan.js');
  const { ParentGuard } = await import('./apply/safe-parent.js');
  const ctx = { root, source, parents: new ParentGuard(root), ...(options.backupDir ? { backup: options.backupDir } : {}) };
  return applyPlan(ctx, plan, options.concurrency, { ...(onOutcome ? { onOutcome } : {}), ...(signal ? { signal } : {}) });
}

/** The outcome listeners of a run (the caller's hook, `options.onAction`, the progress meter) as one, or none. */
function outcomeListener(...listeners: (((o: Outcome) => void) | undefined)[]): ((o: Outcome) => void) | undefined {
  const all = listeners.filter((l): l is (o: Outcome) => void => l !== undefined);
  if (all.length < 2) return all[0];
  return (o) => {
    for (const l of all) l(o);
  };
}

/** Both progress listeners as one, or none (then no meter is made). */
function progressListener(options: ResolvedOptions, hooks: RunHooks): ((p: Progress) => void) | undefined {
  const a = options.onProgress;
  const b = hooks.onProgress;
  if (a && b) {
    return (p) => {
      a(p);
      b(p);
    };
  }
  return a ?? b;
}

/** Exclude/include globs, the source's ignore file, and a backup folder inside the destination (never mirrored). */
async function filterRules(options: ResolvedOptions, sourceRoot: string, destRoot: string, hasSourceDir: boolean): Promise<FilterRules> {
  const exclude = [...options.exclude];
  if (options.backupDir !== '' && isInsideAbs(options.backupDir, destRoot) && options.backupDir !== destRoot) {
    exclude.push(`/${relative(destRoot, options.backupDir).split('\\').join('/')}`);
  }
  let ignoreText: string | undefined;
  if (options.ignoreFile !== false && hasSourceDir) {
    ignoreText = await readFile(toAbs(sourceRoot, options.ignoreFile), 'utf8').catch((err: unknown) => {
      if (isGone(err)) return undefined;
      throw new AbsyncError('E_SOURCE_UNREADABLE', `cannot read ignore file ${toAbs(sourceRoot, options.ignoreFile as string)}: ${(err as Error).message}`);
    });
  }
  return { exclude, include: options.include, ...(ignoreText !== undefined ? { ignoreText } : {}) };
}

function checkBackupDir(options: ResolvedOptions, sourceRoot: string, destRoot: string): void {
  if (options.backupDir === '') return;
  if (isInsideAbs(options.backupDir, sourceRoot) || options.backupDir === destRoot) {
    throw new AbsyncError('E_NESTED', `backup folder ${options.backupDir} must not be the destination or inside the source`, options.backupDir);
  }
}

/** ABSYNC_TRACE=1: each phase's end, in ms since the run started, on stderr (for finding where time goes). */
function tracer(startedAt: number): (phase: string) => void {
  if (!tracing()) return () => undefined;
  traceLine(`engine ${engineInUse()}`);
  return (phase) => traceLine(`${phase} ${(performance.now() - startedAt).toFixed(1)} ms`);
}

export async function runSync(options: ResolvedOptions, hooks: RunHooks = {}): Promise<SyncResult> {
  const startedAt = performance.now();
  const trace = tracer(startedAt);
  const onProgress = progressListener(options, hooks);
  const meter = onProgress ? new ProgressMeter(onProgress, startedAt) : undefined;
  let sourceRoot: string;
  let destRoot: string;
  let destExists: boolean;
  if (hooks.source) {
    const dst = await checkDestination(options.destination, options.mkpath);
    sourceRoot = hooks.source.root;
    destRoot = dst.path;
    destExists = dst.exists;
  } else {
    const roots = await resolveRoots(options.source, options.destination, options.mkpath);
    sourceRoot = roots.source;
    destRoot = roots.destination;
    destExists = roots.destinationExists;
  }
  checkBackupDir(options, sourceRoot, destRoot);
  const rules = await filterRules(options, sourceRoot, destRoot, !hooks.source);

  trace('roots');
  let release: Release | undefined;
  if (!options.dryRun) {
    try {
      if (!destExists) await mkdir(destRoot, { recursive: true });
      release = await acquireLock(destRoot, options.lockTimeout);
      trace('lock');
    } catch (err) {
      if (err instanceof AbsyncError) throw err;
      throw new AbsyncError('E_DEST_UNWRITABLE', `cannot write to destination ${destRoot}: ${describeError(err).message}`, destRoot);
    }
    destExists = true;
  }
  const scanStart = performance.now();
  try {
    // Loaded (read and compiled on this thread) while the scan runs on others.
    loadPlanner().catch(() => undefined);
    let source: Snapshot;
    let destination: Snapshot;
    if (hooks.source) {
      source = hooks.source;
      destination = destExists ? await scanDestination(destRoot, rules) : { ...EMPTY, root: destRoot };
    } else if (hooks.paths && destExists) {
      const { scanTree } = await import('./scan/scan-tree.js');
      const filter = createFilter(rules);
      source = scanTree(sourceRoot, 'source', filter, hooks.paths);
      destination = scanTree(destRoot, 'destination', filter, hooks.paths);
    } else {
      const both = await scanBoth({ source: sourceRoot, destination: destExists ? destRoot : '', rules, omitUnchanged: !options.checksum }).catch((err: unknown) => {
        // Only a root that cannot be listed throws (anything below it becomes a problem entry).
        throw new AbsyncError('E_SOURCE_UNREADABLE', `cannot list ${(err as NodeJS.ErrnoException).path ?? sourceRoot}: ${describeError(err).message}`, sourceRoot);
      });
      source = both.source;
      destination = both.destination ?? { ...EMPTY, root: destRoot };
    }
    trace('scan');
    meter?.phase('scan');
    const scanEnd = performance.now();
    const scanned = { source: countOf(source), destination: countOf(destination) };
    const plan = await makePlan(options, source, destination);
    trace('plan');
    const planEnd = performance.now();
    meter?.planned(plan);
    hooks.onPlan?.(plan);
    const phases = (applyEnd: number) => ({ scan: Math.round(scanEnd - scanStart), plan: Math.round(planEnd - scanEnd), apply: Math.round(applyEnd - planEnd) });
    if (options.dryRun) {
      return { plan, outcomes: [], summary: summarize({ source: sourceRoot, destination: destRoot, plan, startedAt, now: performance.now(), scanned, phases: phases(planEnd) }) };
    }
    await Promise.all((destination.leftovers ?? []).map((p) => unlink(p).catch(() => undefined)));
    const onOutcome = outcomeListener(hooks.onOutcome, options.onAction, meter?.outcome);
    const outcomes = plan.actions.length === 0 ? [] : await apply(plan, source, destRoot, options, onOutcome, hooks.signal);
    trace('apply');
    const applyEnd = performance.now();
    await release?.();
    release = undefined;
    await fixRootTimes(destRoot, source);
    trace('done');
    const warnings = source.warnings ?? [];
    const withWarnings: Plan = warnings.length > 0 ? { ...plan, skipped: [...plan.skipped, ...warnings] } : plan;
    const summary = summarize({ source: sourceRoot, destination: destRoot, plan: withWarnings, outcomes, startedAt, now: performance.now(), scanned, phases: phases(applyEnd) });
    return { plan, outcomes, summary };
  } finally {
    meter?.phase('done');
    await release?.();
  }
}

/** Entries a scan saw: those in the snapshot and the identical pairs left out of it. */
function countOf(snapshot: Snapshot): number {
  return snapshot.entries.size + (snapshot.omitted ?? 0);
}

/** Mirrors `options.source` into `options.destination` once and resolves with the summary. */
export async function sync(options: SyncOptions): Promise<Summary> {
  return (await runSync(resolveOptions(options))).summary;
}
