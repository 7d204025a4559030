/**
 * The watch wrapper: sync at once, then on every interval tick and/or (debounced) source change, never two runs at
 * once (the shared scheduler, as the CLI's interval mode). Every run is one log line (plus one per failure) through `log` and, timestamped, the log file.
 * A failed or refused run is logged and the watch goes on.
 */
import { basename, relative, resolve, sep } from 'node:path';
import type { Stats } from 'node:fs';
import chokidar, { type FSWatcher } from 'chokidar';
import { climbsOut, isInsideAbs, isRemoteDestination, runSync } from '../engine/index.js';
import { formatFailure, formatSummary } from '../shared/format.js';
import { LogFile } from '../shared/log-file.js';
import { createExcludes } from '../shared/path-filter.js';
import { isReservedName } from '../shared/reserved-names.js';
import { Scheduler, type Trigger } from '../shared/scheduler.js';
import { resolveWatchOptions, type ResolvedWatchOptions, type WatchOptions, type WatchRun } from './watch-options.js';

export type { WatchOptions, WatchRun } from './watch-options.js';

/** A running watch. */
export interface WatchHandle {
  /** Runs finished so far (including failed and refused ones). */
  readonly runs: number;
  readonly lastRun: WatchRun | undefined;
  /** Resolves once the source watcher has its initial listing (at once with `watch: false`); a run is then requested. */
  readonly ready: Promise<void>;
  /** Resolves once the watch has stopped (by `close()` or a signal). */
  readonly closed: Promise<void>;
  /** Resolves with the next run to finish. */
  nextRun(): Promise<WatchRun>;
  /** Asks for a run now, as a change would (a run in flight is followed by exactly one more). */
  sync(): void;
  /** Resolves when no run is in flight. */
  idle(): Promise<void>;
  /** Stops watching; the run in flight stops between two actions (no temporary file is left). Safe to call twice. */
  close(): Promise<void>;
}

/** More changed paths than this in one run, and a full scan is cheaper than many small ones. */
const MAX_SCOPED_PATHS = 500;

function watchSource(o: ResolvedWatchOptions, logPath: string | undefined, onChange: (path: string) => void, onError: (e: unknown) => void): FSWatcher {
  const { source, destination } = o.sync;
  // A remote destination is never below the watched (local) source.
  const local = !isRemoteDestination(destination);
  const excludes = createExcludes(o.sync.exclude, o.sync.include);
  const ignored = (path: string, stats?: Stats): boolean => {
    const abs = resolve(path);
    if (abs === logPath || (local && isInsideAbs(abs, destination)) || isReservedName(basename(abs))) return true;
    const rel = relative(source, abs);
    if (rel === '' || climbsOut(rel)) return false;
    return excludes(rel.split(sep).join('/'), stats?.isDirectory() ?? false);
  };
  const watcher = chokidar.watch(source, { ignoreInitial: true, ignored, persistent: true });
  watcher.on('all', (_event, path) => onChange(path));
  watcher.on('error', onError);
  return watcher;
}

/** Starts a watch; throws at once on bad options or a log file that cannot be written. */
export function absyncWatch(options: WatchOptions): WatchHandle {
  const o = resolveWatchOptions(options);
  const logFile = o.logFile === undefined ? undefined : new LogFile(o.logFile);
  const report = (line: string): void => {
    o.log?.(line);
    logFile?.write(line);
  };

  let runs = 0;
  let lastRun: WatchRun | undefined;
  let waiting: ((run: WatchRun) => void)[] = [];
  const finish = (run: WatchRun): void => {
    runs = run.n;
    lastRun = run;
    const wake = waiting;
    waiting = [];
    for (const w of wake) w(run);
    o.onRun?.(run);
  };

  const runner = new Scheduler(
    async (trigger, signal) => {
      // A run for changes the watcher reported scans just those paths; the first run, ticks and long bursts scan all.
      const paths = trigger === 'change' && !everything && changedPaths.size > 0 ? [...changedPaths] : undefined;
      changedPaths.clear();
      everything = false;
      try {
        const { summary } = await runSync(o.sync, { signal, ...(paths ? { paths } : {}) });
        report(formatSummary(summary));
        for (const f of summary.failures) report(formatFailure(f));
        finish({ n: runs + 1, trigger, summary, ...(paths ? { scope: paths } : {}) });
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        report(`run refused: ${error.message}`);
        finish({ n: runs + 1, trigger, error, ...(paths ? { scope: paths } : {}) });
      }
    },
    {
      onSkippedTick: () => report('interval tick skipped: the previous run is still going'),
      ...(o.intervalMs === undefined ? {} : { intervalMs: o.intervalMs }),
      ...(o.handleSignals ? { signals: 'own' as const, onSignal: (signal: NodeJS.Signals) => report(`stopping on ${signal}`), onStop: () => void close() } : {}),
    },
  );
  const trigger = (kind: Trigger): void => runner.trigger(kind);

  const changedPaths = new Set<string>();
  let everything = false;
  let debounceTimer: NodeJS.Timeout | undefined;
  const changed = (path: string): void => {
    const rel = relative(o.sync.source, resolve(path)).split(sep).join('/');
    if (rel === '' || climbsOut(rel) || changedPaths.size >= MAX_SCOPED_PATHS) everything = true;
    else changedPaths.add(rel);
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => trigger('change'), o.debounceMs);
  };
  const watcher = o.watch
    ? watchSource(o, logFile?.path, changed, (err) => report(`watch error: ${err instanceof Error ? err.message : String(err)}`))
    : undefined;
  // The first run starts before the watcher has listed the source: one more run once it has catches any change
  // made in between, which no event will report.
  watcher?.once('ready', () => {
    everything = true;
    trigger('change');
  });
  const ready = watcher ? new Promise<void>((done) => watcher.once('ready', () => done())) : Promise.resolve();

  let closing: Promise<void> | undefined;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((done) => (markClosed = done));
  // A second signal while the run in flight finishes ends the process at once (the scheduler's stop signals).
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearTimeout(debounceTimer);
      await watcher?.close();
      await runner.close(true);
      report('watch stopped');
      markClosed();
    })();
    return closing;
  };

  const what = [o.watch ? 'on changes' : '', o.intervalMs === undefined ? '' : `every ${o.intervalMs / 1000} s`].filter(Boolean).join(' and ');
  report(`watching ${o.sync.source} -> ${o.sync.destination} (${what})`);
  trigger('start');
  runner.startTicker();

  return {
    get runs() {
      return runs;
    },
    get lastRun() {
      return lastRun;
    },
    ready,
    closed,
    nextRun: () => new Promise<WatchRun>((done) => waiting.push(done)),
    sync: () => {
      everything = true;
      trigger('change');
    },
    idle: () => runner.idle(),
    close,
  };
}
