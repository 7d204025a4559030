/**
 * Progress events for a run, batched: each outcome only bumps counters, and a timer sends at most four events a
 * second (and only when something moved), plus one at the end of each phase. So a caller's progress display never
 * runs inside the apply loop, and a run without `onProgress` pays nothing.
 */
import type { Outcome, Plan, Progress } from './types.js';

const EVERY_MS = 250;

export class ProgressMeter {
  private actions = 0;
  private actionsDone = 0;
  private files = 0;
  private filesDone = 0;
  private bytes = 0;
  private bytesDone = 0;
  private sent = -1;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly emit: (progress: Progress) => void,
    private readonly startedAt: number,
  ) {}

  /** The plan's totals; the timer starts, for the apply phase. */
  planned(plan: Plan): void {
    this.actions = plan.actions.length;
    for (const a of plan.actions) if (a.op === 'copy' || a.op === 'update') this.files++;
    this.bytes = plan.bytesToCopy;
    this.send('plan');
    if (this.actions > 0) {
      this.timer = setInterval(() => {
        if (this.sent !== this.actionsDone) this.send('apply');
      }, EVERY_MS);
      // A display must never keep a finished process alive.
      this.timer.unref();
    }
  }

  /** Called for every outcome: counters only. */
  readonly outcome = (o: Outcome): void => {
    this.actionsDone++;
    if (o.status === 'done' && (o.action.op === 'copy' || o.action.op === 'update')) {
      this.filesDone++;
      this.bytesDone += o.bytes;
    }
  };

  /** The end of a phase (scan), or of the run ('done'), which also stops the timer. */
  phase(phase: 'scan' | 'done'): void {
    if (this.finished) return;
    if (phase === 'done') {
      this.finished = true;
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.send(phase);
  }

  private send(phase: Progress['phase']): void {
    this.sent = this.actionsDone;
    this.emit({
      phase,
      actions: this.actions,
      actionsDone: this.actionsDone,
      files: this.files,
      filesDone: this.filesDone,
      bytes: this.bytes,
      bytesDone: this.bytesDone,
      elapsedMs: Math.round(performance.now() - this.startedAt),
    });
  }
}
