/**
 * Runs a job on demand and never twice at once. A change while a run is in flight schedules exactly one more run;
 * an interval tick while a run is in flight is missed (reported), not queued.
 */
export type Trigger = 'start' | 'tick' | 'change';

export interface RunnerEvents {
  /** A tick arrived while a run was still going. */
  readonly onMissedTick?: () => void;
  /** The job threw; the runner goes on. */
  readonly onError?: (err: unknown) => void;
}

export class Runner {
  private running: Promise<void> | undefined;
  private pending = false;
  private closed = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly job: (signal: AbortSignal) => Promise<void>,
    private readonly events: RunnerEvents = {},
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  trigger(kind: Trigger): void {
    if (this.closed) return;
    if (this.running) {
      if (kind === 'tick') this.events.onMissedTick?.();
      else this.pending = true;
      return;
    }
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    do {
      this.pending = false;
      try {
        await this.job(this.controller.signal);
      } catch (err) {
        this.events.onError?.(err);
      }
    } while (this.pending && !this.closed);
    this.running = undefined;
  }

  /** Resolves once the run in flight (if any) has stopped; `abort` stops it between actions. */
  async close(abort = true): Promise<void> {
    this.closed = true;
    if (abort) this.controller.abort();
    await this.running;
  }

  /** Resolves when no run is in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
