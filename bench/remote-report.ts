/** The remote bench's results: medians per scenario, network and tool, ratios to rsync, and the targets. */
import { median } from './stats.js';
import { REMOTE_TOOL_LABELS, type RemoteTool } from './remote-tools.js';

export type Net = 'loopback' | 'rtt';
export type RemoteScenario = 'first-copy' | 'no-change' | 'rewrite' | 'rename' | 'large-first-copy';

export const REMOTE_SCENARIO_TITLES: Record<RemoteScenario, string> = {
  'first-copy': 'first copy',
  'no-change': 'no-change resync',
  rewrite: '1% rewritten',
  rename: 'largest folder renamed',
  'large-first-copy': '4 x 64 MiB first copy',
};

interface Sample {
  readonly ms: number;
  readonly peakRssKiB?: number;
  readonly error?: string;
}

export class RemoteResults {
  private readonly cells = new Map<string, Sample[]>();

  add(scenario: RemoteScenario, net: Net, tool: RemoteTool, sample: Sample): void {
    const key = `${scenario}|${net}|${tool}`;
    this.cells.set(key, [...(this.cells.get(key) ?? []), sample]);
  }

  samples(scenario: RemoteScenario, net: Net, tool: RemoteTool): readonly Sample[] {
    return this.cells.get(`${scenario}|${net}|${tool}`) ?? [];
  }

  /** The median time, or undefined when a run failed or there is none. */
  median(scenario: RemoteScenario, net: Net, tool: RemoteTool): number | undefined {
    const s = this.samples(scenario, net, tool);
    if (s.length === 0 || s.some((x) => x.error)) return undefined;
    return median(s.map((x) => x.ms));
  }

  ratio(scenario: RemoteScenario, net: Net, tool: RemoteTool, base: RemoteTool = 'rsync'): number | undefined {
    const a = this.median(scenario, net, tool);
    const b = this.median(scenario, net, base);
    return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
  }

  peakRssKiB(tool: RemoteTool): number | undefined {
    let peak: number | undefined;
    for (const [key, list] of this.cells) {
      if (!key.endsWith(`|${tool}`) || key.startsWith('large')) continue;
      for (const s of list) if (s.peakRssKiB !== undefined) peak = Math.max(peak ?? 0, s.peakRssKiB);
    }
    return peak;
  }

  errors(): string[] {
    const out: string[] = [];
    for (const [key, list] of this.cells) for (const s of list) if (s.error) out.push(`${key}: ${s.error}`);
    return out;
  }
}

const fmt = (ms: number | undefined): string => (ms === undefined ? 'FAILED' : `${(ms / 1000).toFixed(2)} s`);
const fmtRatio = (r: number | undefined): string => (r === undefined ? '-' : `${r.toFixed(2)}x`);

export function remoteTable(res: RemoteResults, scenarios: readonly RemoteScenario[], nets: readonly Net[], rttMs: number): string[] {
  const tools: RemoteTool[] = ['rsync', 'absync-exec', 'absync-sftp'];
  const out = [`| scenario | network | ${tools.map((t) => REMOTE_TOOL_LABELS[t]).join(' | ')} | exec / rsync | SFTP / rsync |`, '| --- | --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const sc of scenarios) {
    for (const net of nets) {
      if (sc === 'large-first-copy' && net === 'rtt') continue;
      if (res.samples(sc, net, 'rsync').length === 0) continue;
      const name = net === 'loopback' ? 'loopback' : `${rttMs} ms RTT`;
      out.push(`| ${REMOTE_SCENARIO_TITLES[sc]} | ${name} | ${tools.map((t) => fmt(res.median(sc, net, t))).join(' | ')} | ${fmtRatio(res.ratio(sc, net, 'absync-exec'))} | ${fmtRatio(res.ratio(sc, net, 'absync-sftp'))} |`);
    }
  }
  return out;
}

interface Target {
  readonly label: string;
  readonly scenario: RemoteScenario;
  readonly tool: RemoteTool;
  readonly loopback?: number;
  readonly rtt?: number;
}

/** The targets, each a ratio to rsync over ssh in the same run. */
const TARGETS: readonly Target[] = [
  { label: 'no-change resync (exec scan)', scenario: 'no-change', tool: 'absync-exec', loopback: 1.0, rtt: 0.65 },
  { label: 'no-change resync (SFTP only)', scenario: 'no-change', tool: 'absync-sftp', loopback: 1.2, rtt: 1.1 },
  { label: '1% rewritten', scenario: 'rewrite', tool: 'absync-exec', loopback: 1.1, rtt: 1.0 },
  { label: 'first copy', scenario: 'first-copy', tool: 'absync-exec', loopback: 1.0, rtt: 1.3 },
  { label: 'largest folder renamed', scenario: 'rename', tool: 'absync-exec', loopback: 0.3, rtt: 0.3 },
  { label: '4 x 64 MiB first copy', scenario: 'large-first-copy', tool: 'absync-exec', loopback: 1.1 },
];

function mark(ratio: number | undefined, limit: number | undefined): string {
  if (limit === undefined) return '';
  if (ratio === undefined) return `<= ${limit}: not measured`;
  return `${ratio.toFixed(2)} <= ${limit}: ${ratio <= limit ? 'PASS' : 'FAIL'}`;
}

export function remoteTargets(res: RemoteResults, standard: boolean, largeMiBps?: { absync: number; scp: number }): string[] {
  const out = [`targets (ratio to rsync over ssh in this run${standard ? '' : '; indicative only: not the issue\'s sizes'}):`, '| scenario | loopback | 20 ms RTT |', '| --- | --- | --- |'];
  for (const t of TARGETS) {
    out.push(`| ${t.label} | ${mark(res.ratio(t.scenario, 'loopback', t.tool), t.loopback)} | ${mark(res.ratio(t.scenario, 'rtt', t.tool), t.rtt)} |`);
  }
  if (largeMiBps) {
    const r = largeMiBps.absync / largeMiBps.scp;
    out.push(`| 4 x 64 MiB throughput vs scp | ${largeMiBps.absync.toFixed(0)} MiB/s vs ${largeMiBps.scp.toFixed(0)} MiB/s: ${r.toFixed(2)} >= 0.9: ${r >= 0.9 ? 'PASS' : 'FAIL'} | |`);
  }
  const peak = Math.max(res.peakRssKiB('absync-exec') ?? 0, res.peakRssKiB('absync-sftp') ?? 0);
  if (peak > 0) out.push(`| peak memory (small set) | ${(peak / 1024).toFixed(0)} MB < 200 MB: ${peak / 1024 < 200 ? 'PASS' : 'FAIL'} | |`);
  return out;
}
