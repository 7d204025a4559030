/**
 * One run of the CLI: its live output (action lines as they are done, the progress line), then the report (skips,
 * failures, the summary line, --stats, the --json line) and the exit code. A refusal is one line on stderr (and a
 * JSON line with --json); nothing else.
 */
import { isAbsyncError, runSync, type AbsyncError, type Outcome, type ResolvedOptions, type RunHooks, type Summary } from '../engine/index.js';
import { formatFailure, formatSummary, summaryJson } from '../shared/format.js';
import type { LogFile } from '../shared/log-file.js';
import { ActionLines } from './action-lines.js';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED } from './exit-codes.js';
import { cliMessage } from './messages.js';
import { stderr, stdout, warn } from './output.js';
import type { CliArgs } from './parse-args.js';
import { formatStats } from './stats.js';

/** What one run came to. */
export interface RunResult {
  readonly code: number;
  readonly summary?: Summary;
  readonly refused?: AbsyncError;
}

/** Everything a run of the CLI needs, made once from the command line. */
export interface CliContext {
  readonly args: CliArgs;
  readonly options: ResolvedOptions;
  readonly log: LogFile | undefined;
}

/** Whether a run's lines go out (interval mode keeps runs that changed nothing quiet: quiet-runs.ts), and after. */
export interface Reporting {
  readonly shouldReport: (summary: Summary) => boolean;
  /** The lines of a reported run are written. */
  readonly written?: () => void;
}

const ALWAYS: Reporting = { shouldReport: () => true };

function refusalJson(err: { code: string; message: string; path?: string | undefined }): string {
  return JSON.stringify({ refused: { code: err.code, message: err.message, ...(err.path !== undefined ? { path: err.path } : {}) } });
}

/** The one JSON line of a run refused before it started (also for bad command lines, with --json). */
export function printRefusalJson(err: { code: string; message: string; path?: string | undefined }): void {
  stdout.line(refusalJson(err));
}

/** The progress line, loaded only when asked for. */
async function progressLine(args: CliArgs, options: ResolvedOptions) {
  if (!args.progress || options.dryRun) return undefined;
  const { ProgressLine } = await import('./progress-line.js');
  return new ProgressLine(stderr);
}

export async function runOnce(ctx: CliContext, signal: AbortSignal, reporting: Reporting = ALWAYS): Promise<RunResult> {
  const { args, options, log } = ctx;
  const display = await progressLine(args, options);
  // On one terminal, a line printed while the progress line is shown takes its place, and the progress line is drawn again below.
  const sameTerminal = display !== undefined && stdout.isTTY && stderr.isTTY;
  const print = sameTerminal
    ? (line: string): void => {
        display.clear();
        stdout.line(line);
        display.redraw();
      }
    : (line: string): void => stdout.line(line);
  const wantLines = (args.verbose || args.itemize) && !args.quiet;
  let lines: ActionLines | undefined;
  const hooks: RunHooks = {
    signal,
    onPlan: (plan) => {
      if (options.dryRun && !args.quiet) new ActionLines(plan, print).printAll();
      else if (wantLines && !options.dryRun) lines = new ActionLines(plan, print);
    },
    ...(wantLines && !options.dryRun ? { onOutcome: (o: Outcome) => lines?.outcome(o) } : {}),
    ...(display ? { onProgress: (p) => display.update(p) } : {}),
  };
  let summary: Summary;
  try {
    summary = (await runSync(options, hooks)).summary;
  } catch (e) {
    display?.stop();
    if (!isAbsyncError(e)) throw e;
    const message = cliMessage(e);
    warn(message);
    log?.write(`refused: ${message}`);
    if (args.json) printRefusalJson({ code: e.code, message, path: e.path });
    return { code: EXIT_REFUSED, refused: e };
  }
  lines?.finish();
  display?.stop();
  const loud = reporting.shouldReport(summary);
  report(ctx, summary, loud);
  if (loud) reporting.written?.();
  return { code: summary.failed > 0 ? EXIT_FAILED : EXIT_OK, summary };
}

/** Prints one run's result. A quiet run (interval mode, nothing changed) prints nothing but its --json line. */
function report(ctx: CliContext, summary: Summary, loud: boolean): void {
  const { args, log } = ctx;
  if (loud) {
    for (const s of summary.skips) {
      warn(`skipped: ${s.path}: ${s.message}`);
      log?.write(`skipped: ${s.path}: ${s.message}`);
    }
  }
  for (const f of summary.failures) {
    warn(formatFailure(f));
    log?.write(formatFailure(f));
  }
  for (const m of summary.moves) log?.write(`moved: ${m.from} -> ${m.to}`);
  if (loud) {
    log?.write(formatSummary(summary));
    if (!args.quiet) stdout.line(formatSummary(summary));
    if (args.stats) for (const l of formatStats(summary)) stdout.line(l);
  }
  if (args.json) stdout.line(summaryJson(summary));
}
