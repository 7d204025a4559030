/**
 * The remote bench's tools, each timed from spawn to exit in this process: `rsync -a --delete -e ssh`, `scp -r` (the
 * throughput yardstick for big files), and absync into an account that may run commands (exec scan) or one that
 * may not (SFTP only), each run in its own Node process (bench/remote-child.ts), as the CLI would be.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RemoteJob, RemoteReply } from './remote-child.js';

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

const CHILD = fileURLToPath(new URL('remote-child.js', import.meta.url));
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
  /** absync's files in flight (~1,000 pays off at 20 ms round trips). */
  readonly filesInFlight: number;
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
  const job: RemoteJob = {
    source: r.src,
    destination: `sftp://${e.user}@127.0.0.1:${e.port}${r.dst}`,
    // The public options only, as a user would give them (--identity, --known-hosts, --files-in-flight, --concurrency).
    options: { identity: e.key, knownHosts: e.knownHosts, filesInFlight: r.filesInFlight, concurrency: Math.max(32, Math.ceil(r.filesInFlight / 16)) },
  };
  const out = await run(process.execPath, [CHILD, JSON.stringify(job)]);
  let reply: RemoteReply | undefined;
  try {
    reply = JSON.parse(out.stdout.trim().split('\n').pop() ?? '') as RemoteReply;
  } catch {
    reply = undefined;
  }
  if (!reply) return { ms: out.ms, error: `absync child: ${out.stderr.trim().split('\n')[0] ?? `exit ${out.code}`}` };
  return { ms: out.ms, peakRssKiB: reply.maxRssKiB, scanMode: reply.scanMode, ...(reply.ok ? {} : { error: reply.error ?? 'failed' }) };
}
