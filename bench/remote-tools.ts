/**
 * The remote bench's tools, each timed from spawn to exit in this process: `rsync -a --delete -e ssh`, `scp -r` (the
 * throughput yardstick for big files), and the absync bin into an account that may run commands (exec scan) or one
 * that may not (SFTP only), started as an npm-installed bin starts (binCommand), with `--json` for its summary.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binCommand, hasGnuTime } from './tools.js';

export type RemoteTool = 'rsync' | 'scp' | 'absync-exec' | 'absync-sftp';

export const REMOTE_TOOL_LABELS: Record<RemoteTool, string> = {
  rsync: 'rsync -e ssh',
  scp: 'scp -r',
  'absync-exec': 'absync (exec)',
  'absync-sftp': 'absync (SFTP only)',
};

/** Where a tool connects: a server, or the delaying proxy in front of it. */
export interface Endpoint {
  readonly port: number;
  readonly user: string;
  readonly key: string;
  /** A known_hosts file trusting the server under this port. */
  readonly knownHosts: string;
}

export interface Timed {
  readonly ms: number;
  readonly peakRssKiB?: number;
  readonly error?: string;
  readonly scanMode?: string;
}

/** A run that takes longer is killed and shown as failed. */
const RUN_TIMEOUT_MS = 10 * 60_000;

function sshCommand(e: Endpoint): string {
  return `ssh -p ${e.port} -i ${e.key} -o UserKnownHostsFile=${e.knownHosts} -o BatchMode=yes -o LogLevel=ERROR`;
}

function run(cmd: string, args: readonly string[]): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 100_000) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, code, stdout, stderr });
    });
  });
}

export interface ToolRun {
  readonly tool: RemoteTool;
  readonly src: string;
  /** The remote folder (same machine: also a local path, for verifying). */
  readonly dst: string;
  readonly endpoint: Endpoint;
  /** absync's files in flight (hundreds pay off at 20 ms round trips). */
  readonly filesInFlight: number;
  /** The absync bin (the frozen copy's dist/cli/cli.js). */
  readonly cli: string;
}

export async function runRemoteTool(r: ToolRun): Promise<Timed> {
  const e = r.endpoint;
  if (r.tool === 'rsync') {
    const out = await run('rsync', ['-a', '--delete', '-e', sshCommand(e), `${r.src}/`, `${e.user}@127.0.0.1:${r.dst}/`]);
    return { ms: out.ms, ...(out.code !== 0 ? { error: `rsync exited ${out.code}: ${out.stderr.trim().split('\n')[0]}` } : {}) };
  }
  if (r.tool === 'scp') {
    const out = await run('scp', ['-q', '-r', '-p', '-P', String(e.port), '-i', e.key, '-o', `UserKnownHostsFile=${e.knownHosts}`, '-o', 'BatchMode=yes', r.src, `${e.user}@127.0.0.1:${r.dst}`]);
    return { ms: out.ms, ...(out.code !== 0 ? { error: `scp exited ${out.code}: ${out.stderr.trim().split('\n')[0]}` } : {}) };
  }
  const bin = binCommand(r.cli);
  const args = [
    ...bin.args, r.src, `sftp://${e.user}@127.0.0.1:${e.port}${r.dst}`, '--json',
    '--identity', e.key, '--known-hosts', e.knownHosts, '--files-in-flight', String(r.filesInFlight),
    '--concurrency', String(Math.max(32, Math.ceil(r.filesInFlight / 16))),
  ];
  // GNU time's %M: the peak resident set of the bin's process (the sh it starts as execs node in place).
  const rssFile = join(tmpdir(), `absync-bench-rss-${process.pid}.txt`);
  const timed = hasGnuTime();
  const out = timed ? await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, bin.cmd, ...args]) : await run(bin.cmd, args);
  let peakRssKiB: number | undefined;
  if (timed) {
    try {
      const n = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
      if (Number.isFinite(n)) peakRssKiB = n;
    } catch {
      /* no number: the peak stays unknown */
    }
    rmSync(rssFile, { force: true });
  }
  let summary: { failed?: number; failures?: unknown[]; mtimeStepUs?: number } | undefined;
  try {
    summary = JSON.parse(out.stdout.trim().split('\n').pop() ?? '') as typeof summary;
  } catch {
    summary = undefined;
  }
  const mem = peakRssKiB !== undefined ? { peakRssKiB } : {};
  if (!summary) return { ms: out.ms, ...mem, error: `absync exited ${out.code}: ${out.stderr.trim().split('\n')[0] ?? ''}` };
  // Whole-second mtimes are what an SFTP-only account gives (the summary says so); with exec, microseconds.
  const scanMode = summary.mtimeStepUs === undefined ? 'exec' : 'sftp';
  const failed = out.code !== 0 || (summary.failed ?? 0) > 0;
  return { ms: out.ms, ...mem, scanMode, ...(failed ? { error: `exit ${out.code}: ${JSON.stringify(summary.failures?.[0] ?? out.stderr.trim().split('\n')[0])}` } : {}) };
}
