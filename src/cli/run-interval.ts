/** Interval mode: sync now, then every N seconds (the shared scheduler: no overlap, skipped ticks logged) until a stop signal. */
import { Scheduler } from '../shared/scheduler.js';
import type { StopSignals } from '../shared/stop-signals.js';
import { EXIT_OK, EXIT_REFUSED } from './exit-codes.js';
import { warn } from './output.js';
import { QuietRuns } from './quiet-runs.js';
import { runOnce, type CliContext } from './run-once.js';

export async function runInterval(ctx: CliContext, intervalSeconds: number, stop: StopSignals): Promise<number> {
  const { log } = ctx;
  const quiet = new QuietRuns(log, ctx.args.verbose);
  // The log file is opened for every line, so a rotated log simply continues under its name; SIGHUP (a stop for a
  // single run) must not stop us, the first run included.
  stop.forget('SIGHUP');
  const onHup = (): void => {
    log?.write('SIGHUP: log file reopened');
    quiet.force();
  };
  process.on('SIGHUP', onHup);
  try {
    return await runTicks(ctx, intervalSeconds, stop, quiet);
  } finally {
    process.off('SIGHUP', onHup);
  }
}

async function runTicks(ctx: CliContext, intervalSeconds: number, stop: StopSignals, quiet: QuietRuns): Promise<number> {
  const { log } = ctx;
  let first: number | undefined;
  const scheduler = new Scheduler(
    async (_trigger, signal) => {
      const { code } = await runOnce(ctx, signal, quiet);
      first ??= code;
    },
    {
      intervalMs: intervalSeconds * 1000,
      signals: stop,
      onSkippedTick: () => log?.write('tick skipped: the previous run is still going'),
      onError: (e) => {
        warn(`run failed: ${(e as Error).message}`);
        log?.write(`run failed: ${(e as Error).message}`);
      },
    },
  );
  scheduler.trigger('start');
  await scheduler.idle();
  // A first run refused for bad input (missing source, nested roots) is a usage error, not something to retry forever.
  if (first === EXIT_REFUSED && stop.received === undefined) {
    await scheduler.close();
    return EXIT_REFUSED;
  }
  if (stop.received === undefined) {
    log?.write(`watching: every ${intervalSeconds} s`);
    scheduler.startTicker();
  }
  await scheduler.closed;
  log?.write(stop.received ? `${stop.received}: stopped` : 'stopped');
  return EXIT_OK;
}
