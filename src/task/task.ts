/**
 * The task factory: `gulp.series(build, absyncTask({ source, destination }), deploy)`. Options are checked when the
 * task is made; running it mirrors source -> destination once and resolves with the Summary, or rejects when the
 * run was refused or any entry failed.
 */
import fancyLog from 'fancy-log';
import { resolveOptions, runSync, type Summary, type SyncOptions } from '../engine/index.js';
import { formatFailure, formatSummary } from '../shared/format.js';

export interface TaskOptions extends SyncOptions {
  /** The task's name in gulp's output and `gulp --tasks`. Default 'absync'. */
  displayName?: string;
  /** Shown by `gulp --tasks`. Default "Mirror <source> into <destination>". */
  description?: string;
  /** Where the one-line summary goes; `false` for silence. Default fancy-log. */
  log?: ((line: string) => void) | false;
}

/** A gulp task function, with the names gulp shows. */
export interface AbsyncTask {
  (): Promise<Summary>;
  displayName: string;
  description: string;
}

/** Rejects a task whose run left entries unmirrored; `summary` has the detail. */
export class SyncFailedError extends Error {
  constructor(readonly summary: Summary) {
    const n = summary.failures.length;
    const lines = summary.failures.slice(0, 5).map(formatFailure);
    if (n > 5) lines.push(`... and ${n - 5} more`);
    super(`absync: ${n} ${n === 1 ? 'entry' : 'entries'} could not be mirrored into ${summary.destination}:\n${lines.join('\n')}`);
    this.name = 'SyncFailedError';
  }
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new TypeError(`absyncTask: ${name} must be a non-empty string`);
  return value;
}

export function absyncTask(options: TaskOptions): AbsyncTask {
  if (typeof options !== 'object' || options === null) throw new TypeError('absyncTask(options): options must be an object');
  const { displayName, description, log, ...syncOptions } = options;
  const name = text(displayName, 'displayName') ?? 'absync';
  if (log !== undefined && log !== false && typeof log !== 'function') throw new TypeError('absyncTask: log must be a function or false');
  const resolved = resolveOptions(syncOptions);
  const write = log === undefined ? (line: string) => void fancyLog(line) : log || undefined;

  const task = async function absync(): Promise<Summary> {
    const { summary } = await runSync(resolved);
    write?.(formatSummary(summary));
    if (summary.failed > 0) throw new SyncFailedError(summary);
    return summary;
  } as AbsyncTask;
  task.displayName = name;
  task.description = text(description, 'description') ?? `Mirror ${resolved.source} into ${resolved.destination}`;
  return task;
}
