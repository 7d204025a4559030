/**
 * The one scheduler of the CLI's interval mode and the watch wrapper: runs a job at the start, on interval ticks and
 * on changes, never two at once, and stops on a stop signal. A change while a run is in flight schedules exactly
 * one more run; a tick while a run is in flight is skipped (reported), not queued.
 */
import { StopSignals } from './stop-signals.js';

/** What started a run: the start, an interval tick, or a change (also one that came during the previous run). */
export type Trigger = 'start' | 'tick' | 'change';

export interface SchedulerOptions {
  /** Also run every this many milliseconds, once `startTicker()` is called. */
  readonly intervalMs?: number;
  /** A tick arrived while a run was still going (it is skipped). */
  readonly onSkippedTick?: () => void;
  /** The job threw; the scheduler goes on. */
  readonly onError?: (err: unknown) => void;
  /**
   * Stop signals: listeners made from the process' start (the CLI's), or 'own' to listen from now until `close()`
   * (a watch with handleSignals). The first signal calls `onStop` (default: `close()`).
   */
  readonly signals?: StopSignals | 'own';
  /** Hears the first stop signal, before stopping (to log it). Only with `signals: 'own'`. */
  readonly onSignal?: (signal: NodeJS.Signals) => void;
  /** What a stop signal does; default `close()`. A face that holds more (a watcher) closes it all here. */
  readonly onStop?: () => void;
}

export class Scheduler {
  private running: Promise<void> | undefined;
  private pending = false;
  private isClosed = false;
  private closing: Promise<void> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly controller = new AbortController();
  private readonly ownSignals: StopSignals | undefined;
  private markClosed: () => void = () => undefined;
  /** Resolves once `close()` has finished (also when a stop signal closed it). */
  readonly closed = new Promise<void>((done) => (this.markClosed = done));

  constructor(
    private readonly job: (trigger: Trigger, signal: AbortSignal) => Promise<void>,
    private readonly options: SchedulerOptions = {},
  ) {
    const signals = options.signals === 'own' ? new StopSignals(options.onSignal) : options.signals;
    this.ownSignals = options.signals === 'own' ? signals : undefined;
    const stop = (): void => (options.onStop ? options.onStop() : void this.close());
    // A signal that came before the scheduler was made (the CLI listens from its start) stops it before any run.
    if (signals?.signal.aborted) stop();
    else signals?.signal.addEventListener('abort', stop, { once: true });
  }

  /** True while a run is in flight. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Asks for a run. */
  trigger(kind: Trigger): void {
    if (this.isClosed) return;
    if (this.running) {
      if (kind === 'tick') this.options.onSkippedTick?.();
      else this.pending = true;
      return;
    }
    this.running = this.loop(kind);
  }

  /** Starts the interval ticks (a no-op without `intervalMs`). */
  startTicker(): void {
    if (this.isClosed || this.ticker !== undefined || this.options.intervalMs === undefined) return;
    this.ticker = setInterval(() => this.trigger('tick'), this.options.intervalMs);
  }

  private async loop(first: Trigger): Promise<void> {
    let kind = first;
    do {
      this.pending = false;
      try {
        await this.job(kind, this.controller.signal);
      } catch (err) {
        this.options.onError?.(err);
      }
      kind = 'change';
    } while (this.pending && !this.isClosed);
    this.running = undefined;
  }

  /** Stops ticking; `abort` stops the run in flight between two actions. Resolves once it has. Safe to call twice. */
  close(abort = true): Promise<void> {
    this.closing ??= (async () => {
      this.isClosed = true;
      clearInterval(this.ticker);
      if (abort) this.controller.abort();
      await this.running;
      this.ownSignals?.dispose();
      this.markClosed();
    })();
    return this.closing;
  }

  /** Resolves when no run is in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
