/** The watch wrapper's options: the engine's, plus when to run and where to log. Checked when the watch starts. */
import { resolve } from 'node:path';
import fancyLog from 'fancy-log';
import { withLogExcluded } from '../shared/log-file.js';
import { MAX_TIMER_S, resolveOptions, type ResolvedOptions, type Summary, type SyncOptions } from '../engine/index.js';

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

function bad(message: string): never {
  throw new TypeError(`absyncWatch: ${message}`);
}

function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') bad(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function positive(value: unknown, name: string, allowZero: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    bad(`${name} must be a number ${allowZero ? '>= 0' : '> 0'}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function resolveWatchOptions(options: WatchOptions): ResolvedWatchOptions {
  if (typeof options !== 'object' || options === null) bad('options must be an object');
  const { interval, watch, debounce, logFile, log, onRun, handleSignals, ...syncOptions } = options;
  const intervalS = positive(interval, 'interval (seconds)', false);
  // A longer timer fires at once, and then every millisecond (Node's timers take at most 2^31 - 1 ms).
  if (intervalS !== undefined && intervalS > MAX_TIMER_S) bad(`interval must be at most ${MAX_TIMER_S} seconds (Node's longest timer, about 24.8 days), got ${intervalS}`);
  const watching = flag(watch, 'watch', true);
  if (!watching && intervalS === undefined) bad('with watch: false, an interval is needed (or nothing would ever sync)');
  if (logFile !== undefined && (typeof logFile !== 'string' || logFile.trim() === '')) bad('logFile must be a file path');
  if (log !== undefined && log !== false && typeof log !== 'function') bad('log must be a function or false');
  if (onRun !== undefined && typeof onRun !== 'function') bad('onRun must be a function');
  return {
    sync: resolveOptions(withLogExcluded(syncOptions, logFile === undefined ? undefined : resolve(logFile))),
    intervalMs: intervalS === undefined ? undefined : intervalS * 1000,
    watch: watching,
    debounceMs: positive(debounce, 'debounce (milliseconds)', true) ?? 200,
    logFile,
    log: log === undefined ? (line: string) => void fancyLog(line) : log || undefined,
    onRun,
    handleSignals: flag(handleSignals, 'handleSignals', false),
  };
}
