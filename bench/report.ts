/** The results table, the issue's targets with pass/fail marks, and the JSON form. */
import type { Config, SetName } from './args.js';
import type { Generated } from './generate.js';
import type { MachineInfo } from './machine.js';
import { SCENARIO_TITLES, type ScenarioName } from './scenarios.js';
import type { CellSummary, Results } from './stats.js';
import { TOOL_LABELS, type ToolName } from './tools.js';

export function formatMs(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(3)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function mb(kib: number | undefined): string {
  return kib === undefined ? '-' : `${Math.round((kib * 1024) / 1e6)}`;
}

/** A cell whose slowest timed round took more than this times its fastest is marked as noisy. */
export const NOISY = 1.5;

export function isNoisy(s: CellSummary | undefined): boolean {
  return s?.minMs !== undefined && s.maxMs !== undefined && s.timed >= 2 && s.maxMs > NOISY * s.minMs;
}

function timeCell(s: CellSummary | undefined): string {
  if (!s) return '';
  if (s.wrong > 0) return `WRONG (${s.wrong}/${s.runs})`;
  return s.medianMs === undefined ? '-' : `${formatMs(s.medianMs)}${isNoisy(s) ? ' *' : ''}`;
}

function ratioCell(r: number | undefined): string {
  return r === undefined ? '' : r.toFixed(2);
}

export function setTitle(name: SetName, g: Generated | undefined): string {
  if (!g) return name;
  const mib = g.bytes / 2 ** 20;
  return `${name} (${g.files.toLocaleString('en-US')} files, ${g.dirs.toLocaleString('en-US')} folders, ${mib >= 10 ? mib.toFixed(0) : mib.toFixed(1)} MiB)`;
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0] ?? []), sep, ...rows.slice(1).map(line)];
}

/** One row per set and scenario: medians, ratios, peak memory. */
export function resultsTable(config: Config, results: Results, generated: ReadonlyMap<SetName, Generated>): string[] {
  const tools = config.tools;
  const absync = tools.filter((t): t is 'cli' | 'api' => t === 'cli' || t === 'api');
  const head = ['set', 'scenario', ...tools.map((t) => TOOL_LABELS[t])];
  for (const t of absync) head.push(`${t.toUpperCase()}/rsync`);
  if (tools.includes('cp')) for (const t of absync) head.push(`${t.toUpperCase()}/cp`);
  head.push(`peak RSS MB (${tools.filter((t) => t !== 'cp').map((t) => TOOL_LABELS[t].replace('absync ', '')).join('/')})`);
  const rows: string[][] = [head];
  for (const set of config.sets) {
    for (const scenario of set.scenarios) {
      const sums = new Map<ToolName, CellSummary | undefined>(tools.map((t) => [t, results.find(set.name, scenario, t)]));
      if (![...sums.values()].some(Boolean)) continue;
      const row = [set.name, SCENARIO_TITLES[scenario], ...tools.map((t) => timeCell(sums.get(t)))];
      for (const t of absync) row.push(ratioCell(results.ratio(set.name, scenario, t, 'rsync')));
      if (tools.includes('cp')) for (const t of absync) row.push(scenario === 'first-copy' ? ratioCell(results.ratio(set.name, scenario, t, 'cp')) : '');
      row.push(tools.filter((t) => t !== 'cp').map((t) => mb(sums.get(t)?.peakRssKiB)).join(' / '));
      rows.push(row);
    }
  }
  const out = table(rows);
  if (results.cells.some((c) => isNoisy(results.find(c.set, c.scenario, c.tool)))) {
    out.push(`* its timed rounds differ by more than ${NOISY}x (slowest / fastest; every sample is in --json): the machine was disturbed, e.g. by another process deleting many files; read that row's ratios with care`);
  }
  return out;
}

export interface TargetResult {
  readonly target: string;
  readonly limit: string;
  /** Per absync face: the measured value and whether it passes; undefined when not measured. */
  readonly cli?: { value: string; pass: boolean };
  readonly api?: { value: string; pass: boolean };
}

interface TargetDef {
  readonly target: string;
  readonly limit: string;
  readonly set: SetName;
  readonly scenario: ScenarioName;
  readonly maxRatio: number;
  readonly maxVsCp?: number;
  readonly maxRssMB?: number;
}

const TARGETS: readonly TargetDef[] = [
  { target: 'small: no-change resync', limit: '<= 0.6', set: 'small', scenario: 'no-change', maxRatio: 0.6 },
  { target: 'small: 1% rewritten', limit: '<= 0.8', set: 'small', scenario: 'rewrite', maxRatio: 0.8 },
  { target: 'small: first copy', limit: '<= 1.0, and <= 1.2x cp -a', set: 'small', scenario: 'first-copy', maxRatio: 1.0, maxVsCp: 1.2 },
  { target: 'large: first copy', limit: '<= 1.0', set: 'large', scenario: 'first-copy', maxRatio: 1.0 },
  { target: 'small: largest folder renamed', limit: '<= 0.3', set: 'small', scenario: 'rename', maxRatio: 0.3 },
  { target: 'wide: no-change resync', limit: '<= 0.8, peak RSS <= 250 MB', set: 'wide', scenario: 'no-change', maxRatio: 0.8, maxRssMB: 250 },
];

/** `slowed`: set/scenario keys whose timed rounds ran partly while file creation was slowed. */
export function evaluateTargets(results: Results, slowed: ReadonlySet<string> = new Set()): TargetResult[] {
  return TARGETS.map((t) => {
    const out: { -readonly [K in keyof TargetResult]: TargetResult[K] } = { target: t.target, limit: t.limit };
    for (const face of ['cli', 'api'] as const) {
      const s = results.find(t.set, t.scenario, face);
      if (!s) continue;
      if (s.wrong > 0) {
        out[face] = { value: 'WRONG', pass: false };
        continue;
      }
      const r = results.ratio(t.set, t.scenario, face, 'rsync');
      if (r === undefined) continue;
      let pass = r <= t.maxRatio;
      let value = r.toFixed(2);
      if (t.maxVsCp !== undefined) {
        const c = results.ratio(t.set, t.scenario, face, 'cp');
        if (c !== undefined) {
          value += `, ${c.toFixed(2)}x cp`;
          pass &&= c <= t.maxVsCp;
        }
      }
      if (t.maxRssMB !== undefined && s.peakRssKiB !== undefined) {
        const m = (s.peakRssKiB * 1024) / 1e6;
        value += `, ${Math.round(m)} MB`;
        pass &&= m <= t.maxRssMB;
      }
      if (slowed.has(`${t.set}/${t.scenario}`)) value += ' (disk slowed)';
      out[face] = { value, pass };
    }
    return out;
  });
}

export function targetsTable(targets: readonly TargetResult[]): string[] {
  const mark = (v: TargetResult['cli']): string => (v ? `${v.value} ${v.pass ? 'PASS' : 'FAIL'}` : 'not run');
  return table([['target (ratio = absync / rsync)', 'limit', 'absync CLI', 'absync API'], ...targets.map((t) => [t.target, t.limit, mark(t.cli), mark(t.api)])]);
}

/** Every wrong run, with what differed. */
export function problemLines(results: Results): string[] {
  const lines: string[] = [];
  for (const c of results.cells) {
    for (const s of c.samples) {
      if (s.ok) continue;
      lines.push(`WRONG: ${c.set} / ${SCENARIO_TITLES[c.scenario]} / ${TOOL_LABELS[c.tool]} (round ${s.round}${s.note ? `, ${s.note}` : s.warmup ? ', warm-up' : ''}):`);
      for (const p of s.problems) lines.push(`    ${p}`);
    }
  }
  return lines;
}

export function jsonReport(
  config: Config,
  machine: MachineInfo,
  results: Results,
  generated: ReadonlyMap<SetName, Generated>,
  extra: Record<string, unknown>,
): unknown {
  return {
    config: {
      quick: config.quick,
      tools: config.tools,
      seed: config.seed,
      sets: config.sets.map((s) => ({ ...s, generated: generated.get(s.name) })),
    },
    machine,
    results: results.cells.map((c) => ({ set: c.set, scenario: c.scenario, tool: c.tool, ...summarizeCellForJson(results, c.set, c.scenario, c.tool), samples: c.samples })),
    targets: evaluateTargets(results, new Set((extra.slowed as string[] | undefined) ?? [])),
    ...extra,
  };
}

function summarizeCellForJson(results: Results, set: SetName, scenario: ScenarioName, tool: ToolName): Record<string, unknown> {
  const s = results.find(set, scenario, tool);
  return {
    ...s,
    ratioToRsync: results.ratio(set, scenario, tool, 'rsync'),
    ...(scenario === 'first-copy' ? { ratioToCp: results.ratio(set, scenario, tool, 'cp') } : {}),
  };
}
