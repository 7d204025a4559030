/**
 * Runs a set's scenarios: rounds after a warm-up, tools alternated (the order rotates every round), every run
 * verified. Nothing is deleted while a tool is timed: first copies go into empty folders made up front and kept
 * until the whole benchmark is over.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, SetPlan } from './args.js';
import type { DiskProbe } from './disk-probe.js';
import type { Generated } from './generate.js';
import { formatMs } from './report.js';
import { mutate, SCENARIO_TITLES, type Mutation, type ScenarioName } from './scenarios.js';
import type { Results, Sample } from './stats.js';
import { runChild, runTool, type ToolContext, type ToolName } from './tools.js';
import { snapshot, verifyMirror, type TreeSnapshot } from './verify.js';

/** More deletes than this in one run count as a mass delete (file creation is slower here for a minute after). */
export const MASS_DELETE = 5000;

export interface SetState {
  readonly plan: SetPlan;
  readonly root: string;
  readonly src: string;
  readonly gen: Generated;
  /** Each tool's own destination for the scenarios after the first copy. */
  readonly dst: Map<ToolName, string>;
  snap: TreeSnapshot;
}

export interface Bench {
  readonly config: Config;
  readonly results: Results;
  readonly tools: ToolContext;
  readonly log: (line: string) => void;
  readonly notes: string[];
  /** Time spent in `sync` before runs (untimed). */
  syncMs: number;
  /** When the last mass delete happened (performance.now()), if any. */
  lastMassDelete?: number;
  readonly disk: DiskProbe;
  /** `set/scenario` keys with a timed round that ran while file creation was slowed. */
  readonly slowed: Set<string>;
}

/**
 * `sync` before every timed run (untimed): no tool pays for writing back another's data, and the inode-table blocks
 * of deleted files are written out. ext4 without a journal skips, inode by inode, inodes deleted less than 60 s ago
 * when it allocates new ones, and 360 s while their inode-table block is still dirty (fs/ext4/ialloc.c,
 * recently_deleted()): that is why file creation is slow here after a mass delete, also one made by another
 * process.
 */
export function flushDisk(bench: Bench): void {
  const t0 = performance.now();
  spawnSync('sync', { stdio: 'ignore' });
  bench.syncMs += performance.now() - t0;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = items.length;
  return items.map((_, i) => items[(i + by) % n] as T);
}

/** Waits for the next wall-clock second, so a change and the previous or next sync never share a second. */
async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 5);
}

/** Lets the disk settle after a mass delete before a scenario that creates files. */
async function settle(bench: Bench, what: string): Promise<void> {
  if (bench.lastMassDelete === undefined || bench.config.settle === 0) return;
  const left = bench.config.settle * 1000 - (performance.now() - bench.lastMassDelete);
  if (left <= 0) return;
  bench.log(`  waiting ${(left / 1000).toFixed(0)} s before ${what}: file creation is slower here for about a minute after a mass delete`);
  await sleep(left);
}

async function runAndVerify(
  bench: Bench,
  state: SetState,
  scenario: ScenarioName,
  tool: ToolName,
  dst: string,
  round: number,
  warmup: boolean,
  mutation: Mutation | undefined,
  fullContent: boolean,
  note?: string,
): Promise<Sample> {
  flushDisk(bench);
  const r = await runTool(tool, state.src, dst, bench.tools);
  const problems: string[] = [];
  if (r.error) problems.push(`tool failed: ${r.error}`);
  const v = verifyMirror(state.src, state.snap, dst, mutation?.changed ?? [], fullContent);
  problems.push(...v.problems);
  const sample: Sample = { round, warmup, ...(note ? { note } : {}), ms: r.ms, ...(r.peakRssKiB !== undefined ? { peakRssKiB: r.peakRssKiB } : {}), ok: problems.length === 0, problems };
  bench.results.cell(state.plan.name, scenario, tool).samples.push(sample);
  return sample;
}

function roundLine(state: SetState, scenario: ScenarioName, label: string, samples: ReadonlyMap<ToolName, Sample>): string {
  const parts = [...samples].map(([t, s]) => `${t} ${s.ok ? formatMs(s.ms) : `WRONG (${formatMs(s.ms)})`}`);
  return `  ${state.plan.name} / ${SCENARIO_TITLES[scenario]} / ${label}: ${parts.join(', ')}`;
}

/** First copy: every tool, every round, into its own empty folder; the last round's copies are kept for the rest. */
export async function firstCopy(bench: Bench, state: SetState): Promise<void> {
  const tools = bench.config.tools.filter((t) => t !== 'cp' || state.plan.cp);
  const rounds = state.plan.rounds['first-copy'];
  const warm = rounds > 1 ? 1 : 0;
  const total = rounds + warm;
  const dirOf = (round: number, tool: ToolName): string => join(state.root, 'first-copy', `r${round}-${tool}`);
  for (let r = 0; r < total; r++) for (const t of tools) mkdirSync(dirOf(r, t), { recursive: true });
  await settle(bench, 'the first copy');
  for (let r = 0; r < total; r++) {
    const warmup = r < warm;
    const label = warmup ? 'warm-up' : `round ${r + 1 - warm}/${rounds}`;
    const probe = await bench.disk.check(`${state.plan.name} first copy ${label}`, bench.config.settle, bench.log);
    if (probe.slow && !warmup) bench.slowed.add(`${state.plan.name}/first-copy`);
    const got = new Map<ToolName, Sample>();
    for (const tool of rotate(tools, r)) {
      got.set(tool, await runAndVerify(bench, state, 'first-copy', tool, dirOf(r, tool), r, warmup, undefined, true));
    }
    bench.log(`${roundLine(state, 'first-copy', label, got)}  [disk probe ${probe.usPerFile.toFixed(0)} us/file${probe.slow ? ', slowed' : ''}]`);
  }
  for (const t of tools) if (t !== 'cp') state.dst.set(t, dirOf(total - 1, t));
}

/** Without a first-copy scenario, each tool's destination starts as an untimed `cp -a` of the source. */
export async function setupCopies(bench: Bench, state: SetState): Promise<void> {
  for (const t of bench.config.tools) {
    if (t === 'cp') continue;
    const dst = join(state.root, `dst-${t}`);
    mkdirSync(dst, { recursive: true });
    const r = await runChild('cp', ['-a', `${state.src}/.`, dst], join(bench.tools.scratch, 'rss-setup.txt'));
    if (r.error) throw new Error(`setup copy for ${t} failed: ${r.error}`);
    state.dst.set(t, dst);
  }
}

/** A scenario after the first copy: mutate the source once per round, then run each tool on its own destination. */
export async function mutatedScenario(bench: Bench, state: SetState, scenario: Exclude<ScenarioName, 'first-copy'>): Promise<void> {
  const tools = bench.config.tools.filter((t) => t !== 'cp');
  const rounds = state.plan.rounds[scenario];
  const total = rounds + 1;
  if (scenario === 'rewrite' || scenario === 'delete') await settle(bench, SCENARIO_TITLES[scenario]);
  const maxSize = state.plan.shape.kind === 'tree' ? state.plan.shape.maxSize : state.plan.shape.size;
  const probe = await bench.disk.check(`${state.plan.name} ${SCENARIO_TITLES[scenario]}`, 0, bench.log);
  // Only the scenarios whose timed runs create files are hurt by slow file creation.
  if (probe.slow && (scenario === 'rewrite' || scenario === 'rename')) bench.slowed.add(`${state.plan.name}/${scenario}`);
  let massDeletes = 0;
  for (let r = 0; r < total; r++) {
    const warmup = r === 0;
    let mutation: Mutation | undefined;
    if (scenario !== 'no-change') {
      mutation = mutate(scenario, state.src, state.snap, `${bench.config.seed}:${state.plan.name}:${scenario}:${r}`, {
        largestFolder: state.gen.largestFolder,
        maxSize,
      });
      state.snap = snapshot(state.src);
      await nextSecond();
    }
    const got = new Map<ToolName, Sample>();
    for (const tool of rotate(tools, r)) {
      const dst = state.dst.get(tool);
      if (!dst) continue;
      got.set(tool, await runAndVerify(bench, state, scenario, tool, dst, r, warmup, mutation, r === total - 1));
    }
    const label = warmup ? 'warm-up' : `round ${r}/${rounds}`;
    bench.log(`${roundLine(state, scenario, label, got)}${mutation ? `  [${mutation.summary}]` : ''}`);
    if (mutation?.restore) {
      // Untimed: put the deleted files back, and let each tool bring its destination back to a mirror.
      mutation.restore();
      state.snap = snapshot(state.src);
      await nextSecond();
      for (const tool of tools) {
        const dst = state.dst.get(tool);
        if (dst) await runAndVerify(bench, state, scenario, tool, dst, r, true, undefined, false, 'untimed restore run');
      }
    }
    if (mutation && mutation.deletes > MASS_DELETE) {
      bench.lastMassDelete = performance.now();
      massDeletes = mutation.deletes;
    }
  }
  if (massDeletes > 0) {
    bench.notes.push(
      `${state.plan.name} / ${SCENARIO_TITLES[scenario]}: a tool without rename detection (rsync) deletes and re-copies ${massDeletes.toLocaleString('en-US')} entries every round; ` +
        'file creation on this disk is 2-5x slower for about a minute after such a mass delete, so every round after the first runs in that state, for every tool (the order rotates).',
    );
  }
}
