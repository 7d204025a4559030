#!/usr/bin/env node
/** The `absync` command: parse, run once or on an interval, print, exit 0 / 1 / 2 (130 / 143 / 129 when stopped by a signal). */
import { stopSignals } from './start.js';
import { readFileSync } from 'node:fs';
import { isAbsyncError, isRemoteDestination, localEngine, resolveOptions, type ResolvedOptions } from '../engine/index.js';
import { LogFile, withLogExcluded } from '../shared/log-file.js';
import { signalExitCode } from '../shared/stop-signals.js';
import { EXIT_OK, EXIT_REFUSED } from './exit-codes.js';
import { usage } from './help.js';
import { cliMessage } from './messages.js';
import { stderr, stdout, warn } from './output.js';
import { parseCli, UsageError, type Parsed } from './parse-args.js';
import { printRefusalJson, runOnce } from './run-once.js';
import { runInterval } from './run-interval.js';

/** 'native (...)' when the addon loads, else 'JavaScript (native addon: <why not>)'. */
function engineInUse(): string {
  const { kind, why, addon } = localEngine();
  return kind === 'native' ? `native (${addon})` : `JavaScript (native addon: ${why})`;
}

function packageInfo(): { name: string; version: string } {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
}

/** The command line made into a run, or the exit code of a line that asks for no run (help, version, an error). */
function prepare(argv: readonly string[]): number | { parsed: Extract<Parsed, { kind: 'run' }>; options: ResolvedOptions; log: LogFile | undefined } {
  let parsed: Parsed;
  try {
    parsed = parseCli(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    warn(`${e.message}; absync --help for usage`);
    if (e.json) printRefusalJson({ code: 'E_USAGE', message: e.message });
    return EXIT_REFUSED;
  }
  if (parsed.kind === 'help') {
    stdout.line(usage());
    return EXIT_OK;
  }
  if (parsed.kind === 'version') {
    const pkg = packageInfo();
    stdout.line(`${pkg.name} ${pkg.version} (engine: ${engineInUse()})`);
    return EXIT_OK;
  }
  try {
    const log = parsed.args.logFile !== undefined ? new LogFile(parsed.args.logFile) : undefined;
    return { parsed, options: resolveOptions(withLogExcluded(parsed.args.options, log?.path)), log };
  } catch (e) {
    const message = isAbsyncError(e) ? cliMessage(e) : (e as Error).message;
    warn(message);
    if (parsed.args.json) printRefusalJson({ code: isAbsyncError(e) ? e.code : 'E_USAGE', message });
    return EXIT_REFUSED;
  }
}

/**
 * V8 settings for the command's own process on a remote run (a library run leaves its host's V8 alone; node:v8 costs
 * 3 ms to load, so local runs do without):
 * - A remote run's requests live a few round trips each: enough to be promoted, then dropped, by the thousand. V8 let
 *   the old space grow to four times what a full collection left (24 MB live, 200 MB resident for a 20k-file first
 *   copy at 512 files in flight); at twice, 165 MB for about 1% more CPU.
 * - A run is seconds of many small steps through a few hundred functions, and Node 20's TurboFan compiled each one
 *   hot enough, many twice, on a background thread: half a second of CPU in a 20k-file first copy, on cores the
 *   server's sshd and perl need on a small machine. Tiering up after 16 times V8's default budget (1 MB of bytecode
 *   run, not 66 KB) keeps TurboFan for what stays hot and left 0.5-0.8 s of CPU and 5% of the time out of that copy
 *   (no change for a no-change resync).
 */
async function tuneV8ForRemote(): Promise<void> {
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--heap-growing-percent=100');
  // Only V8 11 (Node 20) has this flag: a flag V8 does not know prints an error line (Node 22 and 24 tier up by
  // invocation counts instead, with Maglev first; not measured here, so left at their defaults).
  if (process.versions.v8.startsWith('11.')) setFlagsFromString('--interrupt-budget=1048576');
}

async function main(argv: readonly string[]): Promise<number> {
  const ready = prepare(argv);
  if (typeof ready === 'number') return ready;
  const { parsed: { args }, options, log } = ready;
  if (isRemoteDestination(options.destination)) await tuneV8ForRemote();
  const ctx = { args, options, log };
  if (args.interval !== undefined) return runInterval(ctx, args.interval, stopSignals);
  if (stopSignals.received) return signalExitCode(stopSignals.received);
  const { code } = await runOnce(ctx, stopSignals.signal);
  // Stopped as asked, between two actions: the exit code says so, whatever the part that ran did.
  if (stopSignals.received) {
    warn(`stopped by ${stopSignals.received}; the next run picks up what was not done`);
    return signalExitCode(stopSignals.received);
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Done: exit now rather than tear the whole runtime down (~10 ms here), unless output is still being flushed.
    if (stdout.pending === 0 && stderr.pending === 0) process.exit(code);
  },
  (e: unknown) => {
    // One line for users; the stack when asked for (ABSYNC_DEBUG=1).
    warn(`internal error: ${process.env.ABSYNC_DEBUG ? (e as Error)?.stack : (e as Error)?.message ?? String(e)}`);
    process.exitCode = EXIT_REFUSED;
  },
);
