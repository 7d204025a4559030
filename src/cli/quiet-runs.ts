/**
 * Interval mode runs every few seconds for weeks: a run that changed nothing writes no line (1,440 a day at 60 s
 * would bury the ones that matter). A run is reported when it did something or failed, when it is the first, at least
 * once an hour (so the log shows the mirror is alive), when the log file was rotated or deleted (the new file starts
 * with the current state), after SIGHUP, and always with -v. Refusals and failures are always logged.
 */
import { statSync } from 'node:fs';
import type { Summary } from '../engine/index.js';

const ALIVE_EVERY_MS = 60 * 60 * 1000;

function changedSomething(s: Summary): boolean {
  return s.copied + s.updated + s.deleted + s.moved + s.created + s.attrs + s.failed + s.vanished > 0;
}

/** The log file's inode, or undefined when it is missing: a rotated or deleted log is a new file (or none). */
function inodeOf(path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

export class QuietRuns {
  private lastReport = -Infinity;
  private forced = true;
  /** The log file that got the last run's line (another line, say a skipped tick, may have made a new one since). */
  private loggedTo: number | undefined;

  constructor(
    /** The log: its name, and the inode its last line went to. */
    private readonly log: { readonly path: string; readonly writtenTo: number | undefined } | undefined,
    private readonly verbose: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** The next run is reported whatever it did (SIGHUP: the log was reopened). */
  force(): void {
    this.forced = true;
  }

  readonly shouldReport = (s: Summary): boolean => {
    const t = this.now();
    const loud = this.verbose || this.forced || changedSomething(s) || t - this.lastReport >= ALIVE_EVERY_MS
      || (this.log !== undefined && inodeOf(this.log.path) !== this.loggedTo);
    if (loud) {
      this.lastReport = t;
      this.forced = false;
    }
    return loud;
  };

  /** Called once a reported run's lines are written: the log file they went to. */
  readonly written = (): void => {
    this.loggedTo = this.log?.writtenTo;
  };
}
