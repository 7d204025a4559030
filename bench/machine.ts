/** What the numbers were measured on: printed with every run and stored with the README's results. */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly rsync: string;
  readonly cp: string;
  readonly filesystem: string;
  readonly nodeExtraCaCerts: boolean;
  /** Median wall time of `node -e 0` (ms), with the environment the CLI runs in. */
  readonly nodeStartMs: number;
  /** The same without NODE_EXTRA_CA_CERTS, when it is set. */
  readonly nodeStartNoCaMs?: number;
  readonly loadAvgAtStart: number;
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : 'unknown';
}

function nodeStart(env: NodeJS.ProcessEnv): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[3] as number;
}

export function rsyncVersion(): string | undefined {
  const r = spawnSync('rsync', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const m = /rsync\s+version\s+(\S+)/.exec(r.stdout);
  return m ? m[1] : (r.stdout.split('\n')[0] ?? '').trim();
}

export function machineInfo(dir: string): MachineInfo {
  const env = { ...process.env };
  const hasCa = env.NODE_EXTRA_CA_CERTS !== undefined && env.NODE_EXTRA_CA_CERTS !== '';
  const withoutCa = { ...env };
  delete withoutCa.NODE_EXTRA_CA_CERTS;
  const fs = firstLine('findmnt', ['-n', '-o', 'FSTYPE,OPTIONS', '-T', dir]);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    rsync: rsyncVersion() ?? 'missing',
    cp: firstLine('cp', ['--version']),
    filesystem: fs,
    nodeExtraCaCerts: hasCa,
    nodeStartMs: nodeStart(env),
    ...(hasCa ? { nodeStartNoCaMs: nodeStart(withoutCa) } : {}),
    loadAvgAtStart: loadavg()[0] ?? 0,
  };
}

export function describeMachine(m: MachineInfo): string[] {
  return [
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Linux ${m.kernel}, filesystem ${m.filesystem}`,
    `software: node ${m.node}, rsync ${m.rsync}, ${m.cp}`,
    `node start (node -e 0): ${m.nodeStartMs.toFixed(0)} ms; NODE_EXTRA_CA_CERTS ${m.nodeExtraCaCerts ? `is set (without it: ${m.nodeStartNoCaMs?.toFixed(0)} ms)` : 'is not set'}`,
    `load average at start: ${m.loadAvgAtStart.toFixed(2)}`,
  ];
}
