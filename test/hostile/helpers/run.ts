/**
 * Runs the real `absync` bin, or the library's sync() in a child process, with a bound: a run that has not ended
 * after the bound is killed and reported as hung, so a hang fails its test instead of the whole suite.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CLI, REPO } from '../../helpers/cli.js';
import type { Engine } from './engines.js';
import { scriptFile } from './script.js';

/** How long any one run may take before it counts as hung (the bound). */
export const BOUND_MS = 30_000;

/**
 * How many bounded runs a suite starts at once. Each is a Node process; dozens at once on two cores (nested
 * concurrent describes) made a run that ends in half a second take over 20 s, and look hung.
 */
export const PARALLEL = 4;

/** What a bounded run did. */
export interface Bounded {
  /** Exit code, or null when killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the run was still going at the bound and was killed. */
  readonly hung: boolean;
}

/** Options of a bounded run. */
export interface RunOptions {
  readonly cwd?: string;
  readonly boundMs?: number;
  /** Called with the child once it is spawned (to find its pid, or to act while it runs). */
  readonly onSpawn?: (child: ChildProcess) => void;
  /** Called with all of stderr so far, each time more arrives (to act when the run reaches a phase). */
  readonly onStderr?: (stderr: string) => void;
  /** Extra environment variables. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Waits for `child` to end, killing it at the bound. */
export function bounded(child: ChildProcess, boundMs = BOUND_MS, onStderr?: (stderr: string) => void): Promise<Bounded> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    onStderr?.(stderr);
  });
  return new Promise((resolve) => {
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

/** Runs `absync <args>` with the engine's environment, bounded. */
export function runBin(engine: Engine, args: readonly string[], opts: RunOptions = {}): Promise<Bounded> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, env: { ...engine.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.onSpawn?.(child);
  return bounded(child, opts.boundMs, opts.onStderr);
}

/** Runs a shell command line (for `ulimit`), bounded; `$CLI` in it is the bin's path. */
export function runShell(engine: Engine, script: string, opts: RunOptions = {}): Promise<Bounded> {
  const child = spawn('bash', ['-c', script], { cwd: opts.cwd ?? REPO, env: { ...engine.env, ...opts.env, CLI, NODE: process.execPath }, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.onSpawn?.(child);
  return bounded(child, opts.boundMs, opts.onStderr);
}

const INDEX = fileURLToPath(new URL('../../../src/index.js', import.meta.url));

/** The library's answer: the summary, or the refusal's code and message. */
export type LibResult = { ok: true; summary: Record<string, unknown> } | { ok: false; code?: string; message: string };

/** Calls the public `sync(options)` in a child process (so that a hang can be killed), bounded. */
export async function runLib(engine: Engine, options: Record<string, unknown>, opts: RunOptions = {}): Promise<Bounded & { result?: LibResult }> {
  const script = `
    const { sync } = await import(${JSON.stringify(INDEX)});
    try {
      const summary = await sync(JSON.parse(process.argv[2]));
      console.log(JSON.stringify({ ok: true, summary }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, code: e.code, message: String(e.message) }));
    }`;
  const child = spawn(process.execPath, [scriptFile('sync-once', script), JSON.stringify(options)], {
    cwd: opts.cwd ?? REPO,
    env: { ...engine.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  opts.onSpawn?.(child);
  const r = await bounded(child, opts.boundMs, opts.onStderr);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return { ...r, result: JSON.parse(last) as LibResult };
  } catch {
    return r;
  }
}

/** Shows a run in an assertion message. */
export function shown(r: Bounded): string {
  return `exit ${String(r.code)}${r.hung ? ' (hung: killed at the bound)' : ''}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`;
}

/**
 * An honest end: within the bound, exit 0, 1 or 2, no crash, no stack trace, no "internal error", and a non-zero exit
 * says why on stderr (failures as `absync: failed: ...` lines, a refusal as one `absync: ...` line).
 */
export function assertHonest(r: Bounded): void {
  assert.equal(r.hung, false, `the run hung\n${shown(r)}`);
  assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `exit 0, 1 or 2\n${shown(r)}`);
  assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, `no internal error or stack trace\n${shown(r)}`);
  if (r.code === 1) assert.match(r.stderr, /^absync: failed: /m, `exit 1 lists its failures\n${shown(r)}`);
  if (r.code === 2) assert.match(r.stderr, /^absync: \S.*\n$/, `a refusal is one line\n${shown(r)}`);
}

/** A refusal: exit 2 with one clear line on stderr, within the bound. */
export function assertRefused(r: Bounded, cause: RegExp): void {
  assertHonest(r);
  assert.equal(r.code, 2, `refused (exit 2)\n${shown(r)}`);
  assert.match(r.stderr, cause, `the refusal names the cause\n${shown(r)}`);
}
