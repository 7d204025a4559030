/** The watch wrapper's options: the engine's, plus when to run and where to log. Checked when the watch starts. */
import { resolve } from 'node:path';
import fancyLog from 'fancy-log';
import { withLogExcluded } from '../shared/log-file.js';
import { badOption, resolveFaceOptions, resolveOptions, type ResolvedOptions, type Summary, type SyncOptions } from '../engine/index.js';

/** One finished run of a watch. */
export interface WatchRun {
  /** 1 for the first run. */
  readonly n: number;
  /** What started it: the start, an interval tick, or a change (also a change that came during the previous run). */
  readonly trigger: 'start' | 'tick' | 'change';
  /** Set when the run happened (even if some entries failed: see `summary.failures`). */
  readonly summary?: Summary;
  /** Set when the run was refused (e.g. the source is missing) or could not start. */
  readonly error?: Error;
  /** The changed paths this run scanned, when the watcher reported them; absent for a full scan. */
  readonly scope?: readonly string[];
}

export interface WatchOptions extends SyncOptions {
  /** Also sync every this many seconds (fractions allowed). Default: no interval. */
  interval?: number;
  /** Sync when the source changes (chokidar, as gulp.watch), and once more when the watcher is ready. Default true. */
  watch?: boolean;
  /** Wait this long after the last change of a burst before syncing, in milliseconds. Default 200. */
  debounce?: number;
  /** Append every run's lines, timestamped, to this file (its folder is created). Default: none. */
  logFile?: string;
  /** Where each run's lines go; `false` for silence. Default fancy-log. */
  log?: ((line: string) => void) | false;
  /** Called after every run, finished, failed or refused. */
  onRun?: (run: WatchRun) => void;
  /** Stop cleanly on SIGINT and SIGTERM (for `gulp absync:watch`); the handlers go when the watch closes. Default false. */
  handleSignals?: boolean;
}

export interface ResolvedWatchOptions {
  readonly sync: ResolvedOptions;
  readonly intervalMs: number | undefined;
  readonly watch: boolean;
  readonly debounceMs: number;
  readonly logFile: string | undefined;
  readonly log: ((line: string) => void) | undefined;
  readonly onRun: ((run: WatchRun) => void) | undefined;
  readonly handleSignals: boolean;
}

export function resolveWatchOptions(options: WatchOptions): ResolvedWatchOptions {
  if (typeof options !== 'object' || options === null) badOption('absyncWatch(options): options must be an object');
  // The watch's own options are checked by the one options table, as the engine's are.
  const { own, rest } = resolveFaceOptions('watch', options as unknown as Record<string, unknown>);
  const intervalS = own['interval'] as number | undefined;
  if (intervalS === 0) badOption('interval must be a number of seconds > 0, got 0', 'interval');
  const watching = own['watch'] as boolean;
  if (!watching && intervalS === undefined) badOption('with watch: false, an interval is needed (or nothing would ever sync)', 'watch');
  const logFile = own['logFile'] as string | undefined;
  const log = own['log'] as ((line: string) => void) | false | undefined;
  return {
    sync: resolveOptions(withLogExcluded(rest as SyncOptions, logFile === undefined ? undefined : resolve(logFile))),
    intervalMs: intervalS === undefined ? undefined : intervalS * 1000,
    watch: watching,
    debounceMs: own['debounce'] as number,
    logFile,
    log: log === undefined ? (line: string) => void fancyLog(line) : log || undefined,
    onRun: own['onRun'] as ((run: WatchRun) => void) | undefined,
    handleSignals: own['handleSignals'] as boolean,
  };
}
