/**
 * SIGINT and SIGTERM (and SIGBREAK, Ctrl-Break on Windows) as a request to stop: the first one aborts an
 * AbortSignal, so a run stops between two actions and the engine removes its temporary files and its lock; a second
 * one, while that happens, ends the process at once, the way the signal would have without us.
 */

/** The signals that mean "stop" on this platform. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];

/** The exit code of a process stopped by `signal` (128 + its number: 130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGBREAK: 21, SIGHUP: 1 };
  return 128 + (numbers[signal] ?? 15);
}

/** Listening for stop signals until `dispose()`. */
export class StopSignals {
  private readonly controller = new AbortController();
  private first: NodeJS.Signals | undefined;
  private listening = true;
  private readonly extra: NodeJS.Signals[] = [];

  /** `onSignal` hears the first signal (to log it); the stop itself is `signal`'s abort. */
  constructor(private readonly onSignal?: (signal: NodeJS.Signals) => void) {
    for (const s of STOP_SIGNALS) process.on(s, this.handle);
  }

  /** Aborted by the first stop signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first signal received, if any. */
  get received(): NodeJS.Signals | undefined {
    return this.first;
  }

  private readonly handle = (signal: NodeJS.Signals): void => {
    if (this.first !== undefined) {
      // Stopping takes too long for the user: die now, by the signal's own default action.
      this.dispose();
      process.kill(process.pid, signal);
      return;
    }
    this.first = signal;
    this.onSignal?.(signal);
    this.controller.abort(new Error(`stopped by ${signal}`));
  };

  /** `signal` means "stop" too, from now on (SIGHUP for a one-shot run: its terminal went away). */
  listen(signal: NodeJS.Signals): void {
    if (!this.listening || this.extra.includes(signal) || STOP_SIGNALS.includes(signal)) return;
    this.extra.push(signal);
    process.on(signal, this.handle);
  }

  /** `signal` is no longer a stop (interval mode gives SIGHUP back to its log). */
  forget(signal: NodeJS.Signals): void {
    const i = this.extra.indexOf(signal);
    if (i < 0) return;
    this.extra.splice(i, 1);
    process.removeListener(signal, this.handle);
  }

  /** Removes the handlers (signals then act as they would without us). Safe to call twice. */
  dispose(): void {
    if (!this.listening) return;
    this.listening = false;
    for (const s of [...STOP_SIGNALS, ...this.extra]) process.removeListener(s, this.handle);
  }
}
