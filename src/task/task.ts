/**
 * The task factory: `gulp.series(build, absyncTask({ source, destination }), deploy)`, or an exported task
 * (`export const staging = absyncTask(...)`). Options are checked when the task is made; running it mirrors
 * source -> destination once and resolves with the Summary, or rejects when the run was refused or any entry failed.
 */
import fancyLog from 'fancy-log';
import { badOption, isAbsyncError, resolveFaceOptions, resolveOptions, runSync, type Summary, type SyncOptions } from '../engine/index.js';
import { formatFailure, formatSummary } from '../shared/format.js';

export interface TaskOptions extends SyncOptions {
  /**
   * The task's name in gulp's output and `gulp --tasks`. Default: none, so that gulp registers an exported task under
   * its export name (gulp-cli prefers `displayName`); inside `gulp.series` it shows by its function name,
   * `absync:<destination>`.
   */
  displayName?: string;
  /** Shown by `gulp --tasks`. Default "Mirror <source> into <destination>", with the paths as given. */
  description?: string;
  /** Flags the task reads, shown by `gulp --tasks` (e.g. `{ '--dry-run': 'change nothing' }`). Default: none. */
  flags?: Readonly<Record<string, string>>;
  /** Where the one-line summary goes; `false` for silence. Default fancy-log. */
  log?: ((line: string) => void) | false;
}

/** A gulp task function, with the names gulp shows. */
export interface AbsyncTask {
  (): Promise<Summary>;
  /** Set only when given: an exported task is then registered under it instead of its export name. */
  displayName?: string;
  description: string;
  flags?: Readonly<Record<string, string>>;
}

/**
 * gulp-cli prints an error whose `showStack` is a boolean (a PluginError's convention) with `toString()`, one
 * line, and any other with its stack: a refusal or a failed entry is the user's to fix, not a crash to debug.
 */
function withoutStack<E extends Error>(err: E): E {
  Object.defineProperty(err, 'showStack', { value: false, configurable: true, writable: true });
  return err;
}

/** Rejects a task whose run left entries unmirrored; `summary` has the detail. */
export class SyncFailedError extends Error {
  constructor(readonly summary: Summary) {
    const n = summary.failures.length;
    const lines = summary.failures.slice(0, 5).map(formatFailure);
    if (n > 5) lines.push(`... and ${n - 5} more`);
    super(`absync: ${n} ${n === 1 ? 'entry' : 'entries'} could not be mirrored into ${summary.destination}:\n${lines.join('\n')}`);
    this.name = 'SyncFailedError';
    withoutStack(this);
  }
}

export function absyncTask(options: TaskOptions): AbsyncTask {
  if (typeof options !== 'object' || options === null) badOption('absyncTask(options): options must be an object');
  // The task's own options are checked by the one options table, as the engine's are.
  const { own, rest } = resolveFaceOptions('task', options as unknown as Record<string, unknown>);
  const syncOptions = rest as SyncOptions;
  const name = own['displayName'] as string | undefined;
  const description = own['description'] as string | undefined;
  const shownFlags = own['flags'] === undefined ? undefined : { ...(own['flags'] as Record<string, string>) };
  const log = own['log'] as ((line: string) => void) | false | undefined;
  const resolved = resolveOptions(syncOptions);
  const write = log === undefined ? (line: string) => void fancyLog(line) : log || undefined;

  const task = async function absync(): Promise<Summary> {
    let summary: Summary;
    try {
      ({ summary } = await runSync(resolved));
    } catch (err) {
      throw isAbsyncError(err) ? withoutStack(err) : err;
    }
    write?.(formatSummary(summary));
    if (summary.failed > 0) throw new SyncFailedError(summary);
    return summary;
  } as AbsyncTask;
  // gulp shows a function without displayName by its name (in a series, which records names when it is made):
  // two mirrors in one series must not both be 'absync'.
  Object.defineProperty(task, 'name', { value: `absync:${syncOptions.destination}` });
  if (name !== undefined) task.displayName = name;
  task.description = description ?? `Mirror ${syncOptions.source} into ${syncOptions.destination}`;
  if (shownFlags) task.flags = shownFlags;
  return task;
}
