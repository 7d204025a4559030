/**
 * One run: refuse -> open the trees (chosen once) -> lock -> scan both -> hash what the planner asks -> plan ->
 * guards -> apply -> summary. Faces call `runSync` (or `sync`) and translate the Summary; nothing here knows about
 * gulp, terminals or logs, and nothing here touches a tree except through backends/tree.ts.
 */
import { localEngine, openRunTrees, openSourceTree, type RunTrees } from './backends/choose.js';
import { parseRemote } from './remote-spec.js';
import type { DestinationTree, SourceTree, TreeLock } from './backends/tree.js';
import { AbsyncError, describeError } from './errors.js';
import { type ResolvedOptions, resolveOptions, type SyncOptions } from './options.js';
import type { PlanRules } from './plan/rules.js';
import { checkBackupDir, checkDestination, checkSource, resolveRoots } from './roots.js';
import { createFilter, createMatcher, type FilterRules } from './scan/filter.js';
import { scanTrees, SourceScanError } from './scan/scan-trees.js';
import { readIgnoreFile } from './scan/ignore-file.js';
import { ProgressMeter } from './progress.js';
import { summarize } from './summary.js';
import { traceLine, tracing } from './trace.js';
import type { Failure, Outcome, Plan, Progress, RelPath, Snapshot, Summary } from './types.js';

export interface RunHooks {
  /** A source snapshot built elsewhere (the gulp plugin's vinyl files) instead of scanning `options.source`. */
  readonly source?: Snapshot;
  readonly onOutcome?: (outcome: Outcome) => void;
  /** Called once the plan is made (and guarded), before anything is applied; a dry run ends after it. */
  readonly onPlan?: (plan: Plan) => void;
  /** Progress, batched (a few events a second while applying, one per phase); `options.onProgress` also gets them. */
  readonly onProgress?: (progress: Progress) => void;
  /** Stops between actions; the actions in flight finish, so no temporary file is left behind. */
  readonly signal?: AbortSignal;
  /** Only these relative paths changed (from a watcher): scan just them, their subtrees and their parents. */
  readonly paths?: readonly RelPath[];
  /**
   * Destination entries to leave as they are, each on its own (not what lies below a folder): never deleted,
   * overwritten or moved. The gulp plugin's partial streams: entries not carried whose source still exists.
   */
  readonly keep?: (path: RelPath, isDir: boolean) => boolean;
}

export interface SyncResult {
  readonly plan: Plan;
  readonly summary: Summary;
  /** One per action that ran (none for a dry run), in completion order. */
  readonly outcomes: readonly Outcome[];
}

/** The planner's modules, loaded once; runSync starts loading them while the scan runs on other threads. */
let planner: Promise<typeof import('./plan/planner.js')> | undefined;
function loadPlanner(): NonNullable<typeof planner> {
  planner ??= import('./plan/planner.js');
  return planner;
}

/** What the destination can store, as the planner's comparison rules. */
export interface StoreRules {
  readonly mtimeStepUs: number;
  readonly mtimeSlopUs: number;
  /** False where chmod is not kept (FAT mounted on Linux): modes are then not mirrored, as with `perms: false`. */
  readonly modes?: boolean;
}

function planRules(options: ResolvedOptions, store: StoreRules | undefined, keep: RunHooks['keep']): PlanRules {
  const protect = createMatcher(options.protect);
  return {
    checksum: options.checksum,
    delete: options.delete,
    detectRenames: options.detectRenames,
    ...(protect ? { isProtected: protect } : {}),
    ...(keep ? { isKept: keep } : {}),
    ...(store && store.mtimeStepUs > 1 ? { mtimeStepUs: store.mtimeStepUs } : {}),
    // --modify-window when given (rsync's meaning), never tighter than what the destination can store (Windows: 1 us;
    // FAT rounding up: 2 s), else what the destination's time precision needs.
    ...(options.modifyWindow !== undefined
      ? { mtimeWindowUs: Math.max(Math.round(options.modifyWindow * 1e6), store?.mtimeSlopUs ?? 0) }
      : store && store.mtimeSlopUs > 0 ? { mtimeWindowUs: store.mtimeSlopUs } : {}),
    ...(options.sizeOnly ? { sizeOnly: true } : {}),
    ...(options.ignoreExisting ? { ignoreExisting: true } : {}),
    ...(options.update ? { update: true } : {}),
    // The planner reads no process state: the umask that new entries' modes lose without --perms comes from here. A
    // destination that keeps no modes (Windows, FAT mounted on Linux) plans as --no-perms.
    ...(options.perms && store?.modes !== false ? {} : { perms: false, umask: process.umask() }),
  };
}

/** The trees of a run, for digests; tests that plan without trees leave them out (then nothing can be hashed). */
export interface PlanTrees {
  readonly source: SourceTree;
  readonly destination: DestinationTree;
}

/** Builds the plan exactly as a real run would; a dry run stops here. */
export async function makePlan(options: ResolvedOptions, source: Snapshot, destination: Snapshot, keep?: RunHooks['keep'], trees?: PlanTrees): Promise<Plan> {
  const { hashNeeds, planMirror, guardPlan, omitUnchanged } = await loadPlanner();
  const rules = planRules(options, trees?.destination.caps, keep);
  // Trees scanned one by one (a remote destination, a gulp stream) still hold their identical pairs: left out here,
  // as the native pair scan does before it builds entries. The same plan (plan.test.ts), a tenth of the planner's work
  // on a resync that changed little. With --checksum, same-size files are hashed: nothing can be left out.
  if (!options.checksum && source.omitted === undefined) ({ source, destination } = omitUnchanged(source, destination, rules));
  const needs = hashNeeds(source, destination, rules);
  // Without --checksum, digests only confirm renames: SHA-1 runs at 2.4x the speed of MD5 here (CPU extensions).
  const algorithm = options.checksum ? options.hashAlgorithm : 'sha1';
  let digests: import('./types.js').Digests = new Map();
  if (needs.size > 0) {
    const { computeDigests } = await import('./hash.js');
    const { openTrees: open } = await import('./backends/choose.js');
    const t = trees ?? open({ source: source.root, destination: destination.root });
    digests = await computeDigests(needs, { snapshot: source, tree: t.source }, { snapshot: destination, tree: t.destination }, algorithm);
    if (!trees) await Promise.all([t.source.close(), t.destination.close()]);
  }
  const plan = planMirror({ source, destination, digests }, rules);
  guardPlan(plan, source, destination, keep ? { ...options, keep } : options);
  return plan;
}

/**
 * What each side leaves out: exclude/include globs and the source's ignore file, and always a backup folder inside the
 * destination (never mirrored). With deleteExcluded (rsync --delete-excluded) the destination is scanned without the
 * user's filters, so what they exclude there is deleted like any extraneous entry (protected entries stay). Bad
 * globs (filters or protect) refuse the run here, before the destination is created or locked.
 */
async function filterRules(
  options: ResolvedOptions, source: SourceTree | undefined, backupInside: string | undefined,
): Promise<{ source: FilterRules; destination: FilterRules }> {
  const internal: string[] = backupInside !== undefined ? [`/${backupInside}`] : [];
  const ignoreText = source && options.ignoreFile !== false ? await readIgnoreFile(source, options.ignoreFile) : undefined;
  const sourceRules: FilterRules = { exclude: [...options.exclude, ...internal], include: options.include, ...(ignoreText !== undefined ? { ignoreText } : {}) };
  createFilter(sourceRules);
  createMatcher(options.protect);
  return { source: sourceRules, destination: options.deleteExcluded ? { exclude: internal, include: [] } : sourceRules };
}

/** ABSYNC_TRACE=1: each phase's end, in ms since the run started, on stderr (for finding where time goes). */
function tracer(startedAt: number, trees: PlanTrees): (phase: string) => void {
  if (!tracing()) return () => undefined;
  const engine = localEngine();
  traceLine(`engine ${trees.destination.kind === 'native' ? `native (${engine.addon})` : `${trees.destination.kind === 'js' ? 'JavaScript' : trees.destination.kind}${engine.why ? ` (native addon: ${engine.why})` : ''}`}`);
  return (phase) => traceLine(`${phase} ${(performance.now() - startedAt).toFixed(1)} ms`);
}

/** Sets the destination root's mtime to the source root's after the run (the lock file in it changed it). */
async function fixRootTimes(destination: DestinationTree, source: Snapshot): Promise<Failure | undefined> {
  const want = source.rootEntry;
  if (!want) return undefined;
  // A remote root is not read first: that costs a round trip (and a process where exec sets fine times), and the
  // lock file's removal has just moved the root's mtime, so it needs setting anyway.
  if (destination.kind !== 'sftp') {
    const now = await destination.rootEntry();
    // Within what the destination can store (Windows lands a microsecond off a third of the time).
    const { mtimeStepUs: step, mtimeSlopUs: slop } = destination.caps;
    const at = (ms: number): number => Math.floor(Math.round(ms * 1000) / step) * step;
    if (!now || Math.abs(at(now.mtimeMs) - at(want.mtimeMs)) <= slop) return undefined;
  }
  const [r] = await destination.setAttrs('', [{ name: '', kind: 'dir', mtimeMs: want.mtimeMs }]);
  if (r?.status !== 'failed') return undefined;
  return { path: '', op: 'setAttrs', code: r.error?.code ?? 'EUNKNOWN', message: r.error?.message ?? 'failed' };
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

/** Entries a scan saw: those in the snapshot and the identical pairs left out of it. */
function countOf(snapshot: Snapshot): number {
  return snapshot.entries.size + (snapshot.omitted ?? 0);
}

/** The options a remote destination's tree takes, from the run's. */
function remoteOptions(options: ResolvedOptions): import('./backends/sftp/open-tree.js').SftpTreeOptions {
  return {
    ...(options.identity !== undefined ? { identity: options.identity } : {}),
    ...(options.knownHosts !== undefined ? { knownHosts: options.knownHosts } : {}),
    ...(options.sshPort !== undefined ? { sshPort: options.sshPort } : {}),
    acceptNewHostKey: options.acceptNewHostKey,
    connectTimeout: options.connectTimeout,
    requestTimeout: options.ioTimeout,
    filesInFlight: options.filesInFlight,
    mkpath: options.mkpath,
    deferProbe: true,
    // A run that will lock takes it on the shell as the tree opens (no round trip of its own); a dry run never locks.
    lockAtOpen: !options.dryRun,
    ...(options.backupDir !== '' ? { backupDir: options.backupDir } : {}),
  };
}

/** A remote run's source scan, started before the connection: it runs on other threads while ssh2 loads and logs in. */
interface EarlyScan {
  readonly tree: SourceTree;
  readonly rules: { source: FilterRules; destination: FilterRules };
  readonly scan: Promise<Snapshot>;
  /** Lets the scan build its snapshot on the main thread (held until the lock is taken; idempotent). */
  readonly release: () => void;
}

/**
 * Starts the source's scan of a remote run (without a backup folder: one inside the destination would be left out of
 * the source's rules, and where it lies is known only once connected). Bad globs refuse the run here (filterRules),
 * before it connects.
 */
async function startSourceScan(options: ResolvedOptions, sourceRoot: string, hooks: RunHooks): Promise<EarlyScan> {
  const tree = openSourceTree(sourceRoot);
  try {
    const rules = await filterRules(options, tree, undefined);
    // The walk runs on the addon's thread during the connect; the snapshot is built once the run waits for the
    // server's find (built at once, it held up the SSH handshake by 50 ms).
    let release = (): void => undefined;
    const after = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scan = tree.scan({ side: 'source', rules: rules.source, ...(hooks.paths ? { scope: hooks.paths } : {}), after });
    scan.catch(() => undefined);
    return { tree, rules, scan, release };
  } catch (err) {
    await tree.close();
    throw err;
  }
}

/**
 * The roots checked, then the trees opened. The source is always local (real path, readable folder); a local
 * destination is checked here (real path, pseudo file systems, nesting, the backup folder), a remote one by its tree
 * on its server (where nesting with the local source cannot happen).
 */
async function openRunTreesFor(options: ResolvedOptions, hooks: RunHooks): Promise<RunTrees & { readonly sourceRoot: string; readonly early?: EarlyScan }> {
  const remote = parseRemote(options.destination);
  if (remote) {
    const sourceRoot = hooks.source ? hooks.source.root : await checkSource(options.source);
    const early = hooks.source || options.backupDir !== '' ? undefined : await startSourceScan(options, sourceRoot, hooks);
    try {
      const trees = await openRunTrees({ source: sourceRoot, remote, options: remoteOptions(options), ...(early ? { sourceTree: early.tree } : {}) });
      return { ...trees, sourceRoot, ...(early ? { early } : {}) };
    } catch (err) {
      // The scan's thread still reads below the tree's root: it is closed once the scan is done.
      early?.release();
      if (early) await early.scan.then(() => undefined, () => undefined).finally(() => early.tree.close());
      throw err;
    }
  }
  let sourceRoot: string;
  let destRoot: string;
  if (hooks.source) {
    sourceRoot = hooks.source.root;
    destRoot = (await checkDestination(options.destination, options.mkpath)).path;
  } else {
    const roots = await resolveRoots(options.source, options.destination, options.mkpath);
    sourceRoot = roots.source;
    destRoot = roots.destination;
  }
  const backup = await checkBackupDir(options.backupDir, sourceRoot, destRoot, options.destination);
  return { ...(await openRunTrees({ source: sourceRoot, destination: destRoot, ...(backup !== undefined ? { backup } : {}) })), sourceRoot };
}

export async function runSync(options: ResolvedOptions, hooks: RunHooks = {}): Promise<SyncResult> {
  const startedAt = performance.now();
  const onProgress = progressListener(options, hooks);
  const meter = onProgress ? new ProgressMeter(onProgress, startedAt) : undefined;
  const trees = await openRunTreesFor(options, hooks);
  const sourceRoot = hooks.source ? hooks.source.root : trees.sourceRoot;
  const destRoot = trees.label;
  const trace = tracer(startedAt, trees);
  let lock: TreeLock | undefined;
  try {
    const rules = trees.early?.rules ?? await filterRules(options, hooks.source ? undefined : trees.source, trees.backupInside);
    trace('roots');
    if (!options.dryRun) {
      lock = await trees.destination.lock(options.lockTimeout, true, hooks.signal);
      trace('lock');
    }
    trees.early?.release();
    const scanStart = performance.now();
    // Loaded (read and compiled on this thread) while the scan runs on others.
    loadPlanner().catch(() => undefined);
    const applying = options.dryRun ? undefined : import('./apply/apply-plan.js');
    applying?.catch(() => undefined);
    let source: Snapshot;
    let destination: Snapshot;
    try {
      if (hooks.source) {
        source = hooks.source;
        destination = await trees.destination.scan({ side: 'destination', rules: rules.destination });
      } else {
        ({ source, destination } = await scanTrees(trees.source, trees.destination, {
          rules: rules.source, destinationRules: rules.destination, omitUnchanged: !options.checksum, compareModes: options.perms !== false,
          ...(hooks.paths ? { scope: hooks.paths } : {}),
          ...(trees.early ? { sourceScan: trees.early.scan } : {}),
        }));
      }
    } catch (err) {
      // Only a root that cannot be listed throws (anything below it becomes a problem entry).
      const fromSource = err instanceof SourceScanError;
      const cause = err instanceof SourceScanError ? err.reason : err;
      if (cause instanceof AbsyncError) throw cause;
      // A remote destination that cannot be listed: the connection, or the server, said no.
      if (!fromSource && trees.destination.kind === 'sftp') throw new AbsyncError('E_CONNECT', `cannot list destination ${destRoot}: ${describeError(cause).message}`, destRoot);
      throw new AbsyncError('E_SOURCE_UNREADABLE', `cannot list ${(cause as NodeJS.ErrnoException).path ?? sourceRoot}: ${describeError(cause).message}`, sourceRoot);
    }
    trace('scan');
    meter?.phase('scan');
    const scanEnd = performance.now();
    const scanned = { source: countOf(source), destination: countOf(destination) };
    const plan = await makePlan(options, source, destination, hooks.keep, trees);
    trace('plan');
    const planEnd = performance.now();
    meter?.planned(plan);
    hooks.onPlan?.(plan);
    // Said in the summary when the destination compares mtimes to the whole second (a remote SFTP-only server).
    const grid = () => {
      if (trees.destination.kind !== 'sftp') return {};
      const { mtimeStepUs, mtimeStepWhy } = trees.destination.caps;
      return { mtimeStepUs, ...(mtimeStepWhy !== undefined ? { mtimeStepWhy } : {}) };
    };
    const phases = (applyEnd: number) => ({ scan: Math.round(scanEnd - scanStart), plan: Math.round(planEnd - scanEnd), apply: Math.round(applyEnd - planEnd) });
    if (options.dryRun) {
      // What the summary says of the destination's times needs the remote probe's answer (a dry run into a folder
      // that is not there yet has not waited for it).
      await trees.destination.ready?.();
      return { plan, outcomes: [], summary: summarize({ source: sourceRoot, destination: destRoot, plan, startedAt, now: performance.now(), scanned, phases: phases(planEnd), engine: trees.destination.kind, ...grid() }) };
    }
    await trees.destination.removeLeftovers(destination.leftovers ?? []);
    let outcomes: Outcome[] = [];
    if (plan.actions.length > 0) {
      trees.destination.willWrite?.(plan.bytesToCopy);
      const { applyPlan } = await (applying as Promise<typeof import('./apply/apply-plan.js')>);
      const onOutcome = outcomeListener(hooks.onOutcome, options.onAction, meter?.outcome);
      // A remote tree's calls wait on round trips, not on this machine: many folders in flight (a 1% rewrite has one
      // file per folder; the tree itself keeps uploads to filesInFlight). Half of filesInFlight keeps enough
      // folders' files queued to fill the uploads; as many folders as files held every folder's staging at once (a
      // first copy at 1,024 files in flight peaked at 270 MB).
      const concurrency = trees.destination.kind === 'sftp' ? Math.max(options.concurrency, Math.ceil(options.filesInFlight / 2)) : options.concurrency;
      outcomes = await applyPlan({ source: trees.source, destination: trees.destination, snapshot: source }, plan, concurrency, {
        ...(onOutcome ? { onOutcome } : {}),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
      });
    }
    trace('apply');
    const applyEnd = performance.now();
    // After the apply, what cannot be done is a failure of this run, not a refusal: a remote connection lost by now
    // fails the unlock and the root's mtime (the server drops a dead session's lock; the next run takes it over).
    const late: Failure[] = [];
    const held = lock;
    lock = undefined;
    const releasing = held?.release().catch((err: unknown) => {
      late.push({ path: '', op: 'unlock', ...describeError(err) });
    });
    // A root whose attributes this run could not set (not its owner) has failed once already: not reported twice.
    const rootFailed = outcomes.some((o) => o.action.path === '' && o.action.op === 'setAttrs' && o.status === 'failed');
    const fixRoot = (): Promise<Failure | undefined> => fixRootTimes(trees.destination, source).catch((err: unknown): Failure => ({ path: '', op: 'setAttrs', ...describeError(err) }));
    // The lock file's removal moves the root's mtime, so its times go after it: at once where they follow it on the
    // same ordered channel (a remote run's two round trips become one), else once it is done.
    const fixing = !rootFailed && held?.inOrderAfterRelease?.() === true ? fixRoot() : undefined;
    await releasing;
    const rootFailure = rootFailed ? undefined : await (fixing ?? fixRoot());
    if (rootFailure && late.length === 0) late.push(rootFailure);
    trace('done');
    await trees.destination.ready?.();
    const warnings = source.warnings ?? [];
    const withExtras: Plan = warnings.length > 0 || late.length > 0
      ? { ...plan, skipped: [...plan.skipped, ...warnings], failures: [...plan.failures, ...late] }
      : plan;
    return { plan, outcomes, summary: summarize({ source: sourceRoot, destination: destRoot, plan: withExtras, outcomes, startedAt, now: performance.now(), scanned, phases: phases(applyEnd), engine: trees.destination.kind, ...grid() }) };
  } catch (err) {
    // A refusal changed nothing: the root is put back as it was found (its mtime; removed if this run made it).
    await lock?.release({ refused: err instanceof AbsyncError });
    lock = undefined;
    throw err;
  } finally {
    meter?.phase('done');
    await lock?.release();
    // A run refused before its scan was awaited (the lock, say): the early scan's threads still read below the
    // source's root, which is closed only once they are done.
    trees.early?.release();
    await trees.early?.scan.then(() => undefined, () => undefined);
    await Promise.all([trees.source.close(), trees.destination.close()]);
  }
}

/** Mirrors `options.source` into `options.destination` once and resolves with the summary. */
export async function sync(options: SyncOptions): Promise<Summary> {
  return (await runSync(resolveOptions(options))).summary;
}
