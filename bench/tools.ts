/**
 * The tools under test and how one run of each is timed. Child processes (the CLI, rsync, cp) are timed from spawn
 * to exit in this process; their peak memory comes from GNU time's %M (the largest resident set of the process or
 * of any child it waited for) when /usr/bin/time exists, else from polling /proc/<pid>/status VmHWM (approximate).
 * The library API runs in a separate long-lived Node process (api-host.ts) and is timed there around `sync()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiReply, ApiRequest } from './api-host.js';

export type ToolName = 'cli' | 'api' | 'rsync' | 'cp';
export const ALL_TOOLS: readonly ToolName[] = ['cli', 'api', 'rsync', 'cp'];

export const TOOL_LABELS: Record<ToolName, string> = {
  cli: 'absync CLI',
  api: 'absync API',
  rsync: 'rsync',
  cp: 'cp -a',
};

export interface RunResult {
  readonly ms: number;
  readonly peakRssKiB?: number;
  /** Set when the tool failed (non-zero exit, thrown error, failures in its summary). */
  readonly error?: string;
}

const API_HOST = fileURLToPath(new URL('api-host.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';
/** A run that takes longer than this is killed and shown as failed (a hung tool must not hang the bench). */
const RUN_TIMEOUT_MS = 15 * 60_000;

let gnuTime: boolean | undefined;
export function hasGnuTime(): boolean {
  if (gnuTime === undefined) {
    gnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0;
  }
  return gnuTime;
}

export function memoryMethod(): string {
  return hasGnuTime()
    ? 'child processes: GNU time %M (largest single process); API: VmHWM of the host process, reset before each run'
    : 'child processes: polled /proc/<pid>/status VmHWM every 5 ms (approximate); API: VmHWM of the host, reset before each run';
}

function readHwm(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How the `absync` bin starts once npm has installed it: npm's install step (scripts/fast-start.mjs) makes its first
 * line `#!/bin/sh` where /bin/sh exists, and its second line unsets NODE_EXTRA_CA_CERTS before it execs node (the CA
 * bundle's parse is 40-80 ms of every start, for a CLI that makes no TLS connection). A build in the checkout keeps
 * the portable `#!/usr/bin/env node`, so the bench runs the file with /bin/sh itself, as that first line would.
 */
export function binCommand(cli: string): { readonly cmd: string; readonly args: readonly string[] } {
  return process.platform !== 'win32' && existsSync('/bin/sh') ? { cmd: '/bin/sh', args: [cli] } : { cmd: process.execPath, args: [cli] };
}

/** Runs a command to completion; times it and reads its peak RSS. */
export function runChild(cmd: string, args: readonly string[], rssFile: string): Promise<RunResult> {
  const useTime = hasGnuTime();
  const argv = useTime ? ['-f', '%M', '-o', rssFile, cmd, ...args] : [...args];
  return new Promise((resolve) => {
    let stderr = '';
    let polled: number | undefined;
    const t0 = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(useTime ? GNU_TIME : cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      resolve({ ms: 0, error: (e as Error).message });
      return;
    }
    const timeout = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    const poll = useTime ? undefined : setInterval(() => {
      const v = readHwm(child.pid);
      if (v !== undefined) polled = Math.max(polled ?? 0, v);
    }, 5);
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child.on('error', (e) => {
      clearTimeout(timeout);
      if (poll) clearInterval(poll);
      resolve({ ms: performance.now() - t0, error: e.message });
    });
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timeout);
      if (poll) clearInterval(poll);
      let peak = polled;
      if (useTime) {
        try {
          const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
          const n = Number(lines[lines.length - 1]);
          if (Number.isFinite(n)) peak = n;
          rmSync(rssFile, { force: true });
        } catch {
          /* no number: leave the peak unknown */
        }
      }
      const failed = code !== 0 || signal !== null;
      const error = failed ? `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(0, 4).join(' | ')}` : undefined;
      resolve({ ms, ...(peak !== undefined ? { peakRssKiB: peak } : {}), ...(error ? { error } : {}) });
    });
  });
}

/** The library API, served by a separate Node process (see api-host.ts). */
export class ApiHost {
  private child: ChildProcess | undefined;
  private pending: ((reply: ApiReply) => void) | undefined;
  from = '';

  /** Starts the host on the build in `srcDir` (a dist/src folder). */
  async start(srcDir: string): Promise<void> {
    const child = spawn(process.execPath, ['--expose-gc', API_HOST, srcDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const onFirst = (m: { ready?: boolean; from?: string; error?: string }): void => {
        if (m.ready) {
          this.from = m.from ?? '';
          resolve();
        } else reject(new Error(`API host: ${m.error ?? 'failed to start'}`));
      };
      child.once('message', onFirst);
      child.once('exit', (code) => reject(new Error(`API host exited (${code})`)));
    });
    child.on('message', (m: ApiReply) => {
      const p = this.pending;
      this.pending = undefined;
      p?.(m);
    });
    child.on('exit', (code) => {
      const p = this.pending;
      this.pending = undefined;
      p?.({ ok: false, ms: 0, error: `API host exited (${code})` });
    });
  }

  run(source: string, destination: string): Promise<RunResult> {
    const child = this.child;
    if (!child) return Promise.resolve({ ms: 0, error: 'API host not started' });
    return new Promise((resolve) => {
      this.pending = (r) => {
        if (!r.ok) resolve({ ms: r.ms, error: r.error });
        else {
          const error = r.failed > 0 ? `${r.failed} failed: ${r.detail ?? ''}` : undefined;
          resolve({ ms: r.ms, ...(r.peakRssKiB !== undefined ? { peakRssKiB: r.peakRssKiB } : {}), ...(error ? { error } : {}) });
        }
      };
      const req: ApiRequest = { source, destination };
      child.send(req);
    });
  }

  stop(): void {
    this.child?.disconnect();
    this.child = undefined;
  }
}

export interface ToolContext {
  readonly api: ApiHost;
  /** The CLI script (the frozen copy's dist/src/cli/cli.js). */
  readonly cli: string;
  /** Scratch folder for GNU time's output. */
  readonly scratch: string;
}

/** One run of `tool` mirroring `src` into `dst` (which exists; empty for a first copy). */
export function runTool(tool: ToolName, src: string, dst: string, ctx: ToolContext): Promise<RunResult> {
  const rssFile = join(ctx.scratch, `rss-${tool}.txt`);
  switch (tool) {
    case 'cli': {
      const bin = binCommand(ctx.cli);
      return runChild(bin.cmd, [...bin.args, src, dst, '--quiet'], rssFile);
    }
    case 'api':
      return ctx.api.run(src, dst);
    case 'rsync':
      return runChild('rsync', ['-a', '--delete', `${src}/`, `${dst}/`], rssFile);
    case 'cp':
      return runChild('cp', ['-a', `${src}/.`, dst], rssFile);
  }
}
