/**
 * The C racers (racer.c), built with `cc` into a temporary folder once per test file, and run as child processes
 * that race the engine until stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { REPO } from '../../helpers/cli.js';
import { tmp } from '../../helpers/tree.js';
import { until } from '../../helpers/wait.js';
import type { Engine } from './engines.js';
import { runBin, type Bounded } from './run.js';

let built: { path?: string; why?: string } | undefined;

/** Builds the racer; returns its path, or why it cannot be built here (a test skips with that reason). */
export function racerBinary(): { path?: string; why?: string } {
  if (built) return built;
  const out = join(tmp('absync-racer-'), 'racer');
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, join(REPO, 'test/hostile/helpers/racer.c')], { encoding: 'utf8' });
  if (r.error) built = { why: `no C compiler to build the racer (cc: ${r.error.message})` };
  else if (r.status !== 0) built = { why: `the racer does not build here: ${r.stderr.trim().split('\n')[0] ?? ''}` };
  else built = { path: out };
  return built;
}

/** A racer at work. */
export interface Racer {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  readonly output: () => string;
  /** SIGTERM, then waits for it to end (SIGKILL after 5 s); resolves with its exit code. */
  readonly stop: () => Promise<number | null>;
}

/** Starts `racer <args>` and resolves once it prints "ready". */
export async function startRacer(args: readonly string[]): Promise<Racer> {
  const bin = racerBinary().path;
  if (!bin) throw new Error(racerBinary().why);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await until(() => out.includes('ready') || child.exitCode !== null, 'the racer to start', 30_000);
  if (!out.includes('ready')) throw new Error(`racer ${args.join(' ')} did not start: ${out}`);
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await ended;
      clearTimeout(killer);
      return code;
    },
  };
}

/** Runs `fn` while a racer runs, and stops the racer afterwards whatever happens. */
export async function whileRacing<T>(args: readonly string[], fn: (racer: Racer) => Promise<T>): Promise<T> {
  const racer = await startRacer(args);
  try {
    return await fn(racer);
  } finally {
    await racer.stop();
  }
}

/** When the racer starts racing: with the run, or once the run's scan is over (so that its plan holds the attacked steps). */
export type RaceFrom = 'start' | 'after-scan';

/**
 * Runs `absync <args>` while `racer swap` exchanges each pair. From 'after-scan', the racer waits for SIGUSR1, sent when
 * ABSYNC_TRACE (README: Speed) says the scan ended, so it races the apply of a plan made from the real folders.
 */
export async function runWhileSwapping(engine: Engine, args: readonly string[], pairs: readonly (readonly [string, string])[], from: RaceFrom): Promise<Bounded> {
  const racer = await startRacer(['swap', ...pairs.flat(), ...(from === 'after-scan' ? ['--after-usr1'] : [])]);
  let started = from === 'start';
  try {
    const r = await runBin(engine, args, {
      env: { ABSYNC_TRACE: '1' },
      onStderr: (stderr) => {
        if (!started && /^absync trace: scan\b/m.test(stderr)) {
          started = true;
          racer.child.kill('SIGUSR1');
        }
      },
    });
    assert.ok(started, `the trace showed when the scan ended (update this test if ABSYNC_TRACE changed)\n${r.stderr}`);
    return r;
  } finally {
    await racer.stop();
  }
}
