/** Samples -> medians, ratios and WRONG marks. */
import type { SetName } from './args.js';
import type { ScenarioName } from './scenarios.js';
import type { ToolName } from './tools.js';

export interface Sample {
  readonly round: number;
  /** Not counted in the median (the warm-up round, or an untimed run that restores the set). */
  readonly warmup: boolean;
  /** Why an uncounted run was made, when it is not the warm-up. */
  readonly note?: string;
  readonly ms: number;
  readonly peakRssKiB?: number;
  readonly ok: boolean;
  /** What was wrong: the tool's error, or how the destination differs from the source. */
  readonly problems: readonly string[];
}

export interface Cell {
  readonly set: SetName;
  readonly scenario: ScenarioName;
  readonly tool: ToolName;
  readonly samples: Sample[];
}

export interface CellSummary {
  /** Median of the timed, correct runs; undefined when a run was wrong or none was timed. */
  readonly medianMs?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  readonly timed: number;
  /** Runs (warm-up included) whose destination was not an exact mirror, or whose tool failed. */
  readonly wrong: number;
  readonly runs: number;
  /** Largest peak RSS over the timed runs (KiB). */
  readonly peakRssKiB?: number;
  readonly problems: readonly string[];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = values.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function summarizeCell(cell: Cell): CellSummary {
  const timed = cell.samples.filter((s) => !s.warmup);
  const wrongRuns = cell.samples.filter((s) => !s.ok);
  const times = timed.map((s) => s.ms);
  const rss = timed.map((s) => s.peakRssKiB).filter((v): v is number => v !== undefined);
  const problems: string[] = [];
  for (const s of wrongRuns) {
    for (const p of s.problems) if (!problems.includes(p) && problems.length < 8) problems.push(p);
  }
  const med = wrongRuns.length === 0 ? median(times) : undefined;
  return {
    ...(med !== undefined ? { medianMs: med, minMs: Math.min(...times), maxMs: Math.max(...times) } : {}),
    timed: timed.length,
    wrong: wrongRuns.length,
    runs: cell.samples.length,
    ...(rss.length > 0 ? { peakRssKiB: Math.max(...rss) } : {}),
    problems,
  };
}

/** Collected cells, looked up by set, scenario and tool. */
export class Results {
  readonly cells: Cell[] = [];

  cell(set: SetName, scenario: ScenarioName, tool: ToolName): Cell {
    let c = this.cells.find((x) => x.set === set && x.scenario === scenario && x.tool === tool);
    if (!c) {
      c = { set, scenario, tool, samples: [] };
      this.cells.push(c);
    }
    return c;
  }

  find(set: SetName, scenario: ScenarioName, tool: ToolName): CellSummary | undefined {
    const c = this.cells.find((x) => x.set === set && x.scenario === scenario && x.tool === tool);
    return c ? summarizeCell(c) : undefined;
  }

  /** Median of `tool` divided by the median of `base`; undefined if either is missing or wrong. */
  ratio(set: SetName, scenario: ScenarioName, tool: ToolName, base: ToolName): number | undefined {
    const a = this.find(set, scenario, tool)?.medianMs;
    const b = this.find(set, scenario, base)?.medianMs;
    return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
  }
}
