#!/usr/bin/env node
/** The `absync` command: parse, run once or on an interval, print, exit 0 / 1 / 2. */
import { readFileSync } from 'node:fs';
import { isAbsyncError, describeAction, resolveOptions, runSync, type AbsyncError, type ResolvedOptions, type Summary } from '../engine/index.js';
import { parseCli, UsageError, USAGE, type CliArgs } from './cli-args.js';
import { formatFailure, formatSummary, summaryJson } from '../shared/format.js';
import { LogFile, withLogExcluded } from '../shared/log-file.js';
import { Runner } from '../shared/runner.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_REFUSED = 2;

function err(line: string): void {
  process.stderr.write(`absync: ${line}\n`);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The engine names options as the API does (`maxDelete: 5`, `allowEmptySource: true`): show the CLI's flags. */
function withFlags(e: AbsyncError): string {
  if (e.option === undefined) return e.message;
  const flag = `--${e.option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return e.message.replaceAll(`${e.option}: true`, flag).replaceAll(`${e.option}: `, `${flag} `);
}

/** Prints one run's result; returns its exit code. */
function report(args: CliArgs, summary: Summary, log: LogFile | undefined): number {
  for (const s of summary.skips) {
    err(`skipped: ${s.path}: ${s.message}`);
    log?.write(`skipped: ${s.path}: ${s.message}`);
  }
  for (const f of summary.failures) {
    err(formatFailure(f));
    log?.write(formatFailure(f));
  }
  for (const m of summary.moves) log?.write(`moved: ${m.from} -> ${m.to}`);
  log?.write(formatSummary(summary));
  if (!args.quiet) process.stdout.write(`${formatSummary(summary)}\n`);
  if (args.json) process.stdout.write(`${summaryJson(summary)}\n`);
  return summary.failed > 0 ? EXIT_FAILED : EXIT_OK;
}

async function runOnce(args: CliArgs, options: ResolvedOptions, log: LogFile | undefined, signal?: AbortSignal): Promise<number> {
  try {
    const result = await runSync(options, signal ? { signal } : {});
    // A dry run prints the plan; -v prints what a real run did, in the plan's order (so the two can be compared).
    if ((options.dryRun && !args.quiet) || (args.verbose && !options.dryRun)) {
      const done = options.dryRun ? undefined : new Set(result.outcomes.filter((o) => o.status === 'done').map((o) => o.action));
      for (const a of result.plan.actions) {
        const line = describeAction(a);
        if (line !== undefined && (!done || done.has(a))) process.stdout.write(`${line}\n`);
      }
    }
    return report(args, result.summary, log);
  } catch (e) {
    if (!isAbsyncError(e)) throw e;
    err(withFlags(e));
    log?.write(`refused: ${withFlags(e)}`);
    return EXIT_REFUSED;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  let options: ResolvedOptions;
  let log: LogFile | undefined;
  try {
    parsed = parseCli(argv);
    if (parsed.kind === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    if (parsed.kind === 'version') {
      process.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    if (parsed.args.logFile !== undefined) log = new LogFile(parsed.args.logFile);
    options = resolveOptions(withLogExcluded(parsed.args.options, log?.path));
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message} (absync --help for usage)`);
      return EXIT_REFUSED;
    }
    err((e as Error).message);
    return EXIT_REFUSED;
  }
  const args = parsed.args;
  if (args.interval === undefined) return runOnce(args, options, log);
  return runInterval(args, options, log, args.interval);
}

/** Syncs now, then every `interval` seconds, never two at once, until SIGINT/SIGTERM. */
async function runInterval(args: CliArgs, options: ResolvedOptions, log: LogFile | undefined, interval: number): Promise<number> {
  let first = true;
  let firstCode = EXIT_OK;
  const runner = new Runner(
    async (signal) => {
      const code = await runOnce(args, options, log, signal);
      if (first) firstCode = code;
      first = false;
    },
    {
      onMissedTick: () => log?.write('tick skipped: the previous run is still going'),
      onError: (e) => {
        err(`run failed: ${(e as Error).message}`);
        log?.write(`run failed: ${(e as Error).message}`);
      },
    },
  );
  runner.trigger('start');
  await runner.idle();
  // A first run refused for bad input (missing source, nested roots) is a usage error, not something to retry forever.
  if (firstCode === EXIT_REFUSED) return EXIT_REFUSED;
  log?.write(`watching: every ${interval} s`);
  // The log file is opened for every line, so a rotated log simply continues under its name; SIGHUP must not kill us.
  const onHup = (): void => void log?.write('SIGHUP: log file reopened');
  process.on('SIGHUP', onHup);
  const timer = setInterval(() => runner.trigger('tick'), interval * 1000);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  clearInterval(timer);
  process.off('SIGHUP', onHup);
  await runner.close();
  log?.write('stopped');
  return EXIT_OK;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Done: exit now rather than tear the whole runtime down (~10 ms here), unless output is still being flushed.
    if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
  },
  (e: unknown) => {
    // One line for users; the stack when asked for (ABSYNC_DEBUG=1).
    err(`internal error: ${process.env.ABSYNC_DEBUG ? (e as Error)?.stack : (e as Error)?.message ?? String(e)}`);
    process.exitCode = EXIT_REFUSED;
  },
);
