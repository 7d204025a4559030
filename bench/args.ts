/** Flags and environment variables -> the benchmark's configuration. Flags win over the environment. */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import type { LargeShape, TreeShape } from './generate.js';
import { ALL_SCENARIOS, type ScenarioName } from './scenarios.js';
import { ALL_TOOLS, type ToolName } from './tools.js';

export type SetName = 'small' | 'large' | 'wide';
export const ALL_SETS: readonly SetName[] = ['small', 'large', 'wide'];

export interface SetPlan {
  readonly name: SetName;
  readonly shape: TreeShape | LargeShape;
  readonly scenarios: readonly ScenarioName[];
  /**
   * Timed rounds per scenario, after one warm-up round (none for a single first copy: each first copy writes a
   * whole tree).
   */
  readonly rounds: Readonly<Record<ScenarioName, number>>;
  /** Whether `cp -a` makes first copies of this set too (not on the wide set: 100k more files to write and delete). */
  readonly cp: boolean;
}

export interface Config {
  readonly quick: boolean;
  /** True when every set has the sizes (small 20k files in 2k folders, large 64 MiB+, wide 100k). */
  readonly standard: boolean;
  readonly sets: readonly SetPlan[];
  readonly tools: readonly ToolName[];
  readonly baseDir: string;
  readonly json: boolean;
  readonly seed: string;
  readonly keep: boolean;
  /** Seconds to let the disk settle after a mass delete before a scenario that creates many files. */
  readonly settle: number;
}

export const USAGE = `usage: npm run bench -- [options]

  --quick               small sets, 2 rounds: a quick check in under a minute
  --sets a,b            which sets: small, large, wide (default: all; --quick: small,large)
  --scenarios a,b       first-copy, no-change, rewrite, delete, rename (default: all)
  --tools a,b           cli, api, rsync, cp (default: all; rsync is always run, it is the yardstick)
  --rounds N            timed rounds after one warm-up (default 5; --quick 2); the costly scenarios use fewer:
                        at most 3 for first copy (small), 1% deleted and renamed; on the wide set 1 first copy
                        (without cp -a), 3 no-change, 1 for 1% rewritten and 1% deleted, no rename unless asked
  --dir PATH            where to put the data (default: the OS temp folder); a fresh folder is made inside
  --json                print the results as JSON on stdout (progress goes to stderr)
  --seed S              data seed (default "absync")
  --keep                keep the generated trees
  --settle S            seconds to wait after a mass delete before creating many files (default 60; --quick 0)
  --small-files N --small-dirs N --large-files N --large-mib N --wide-files N --wide-dirs N
  -h, --help

environment: BENCH_SETS, BENCH_ROUNDS, BENCH_DIR, BENCH_SEED, BENCH_SMALL_FILES, BENCH_SMALL_DIRS,
BENCH_LARGE_FILES, BENCH_LARGE_MIB, BENCH_WIDE_FILES, BENCH_WIDE_DIRS (flags win).`;

export class UsageError extends Error {}

function num(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} takes a whole number >= ${min}, got "${value}"`);
  return n;
}

function list<T extends string>(value: string | undefined, all: readonly T[], name: string): T[] | undefined {
  if (value === undefined || value === '') return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!all.includes(i as T)) throw new UsageError(`${name}: unknown "${i}" (one of ${all.join(', ')})`);
  return all.filter((a) => items.includes(a));
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        sets: { type: 'string' },
        scenarios: { type: 'string' },
        tools: { type: 'string' },
        rounds: { type: 'string' },
        dir: { type: 'string' },
        json: { type: 'boolean' },
        seed: { type: 'string' },
        keep: { type: 'boolean' },
        settle: { type: 'string' },
        'small-files': { type: 'string' },
        'small-dirs': { type: 'string' },
        'large-files': { type: 'string' },
        'large-mib': { type: 'string' },
        'wide-files': { type: 'string' },
        'wide-dirs': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  if (values.help) return 'help';
  const quick = values.quick === true;
  const pick = (flag: string | undefined, envName: string): string | undefined => flag ?? env[envName];

  const rounds = num(pick(values.rounds, 'BENCH_ROUNDS'), '--rounds', quick ? 2 : 5);
  const sets = list(pick(values.sets, 'BENCH_SETS'), ALL_SETS, '--sets') ?? (quick ? ['small', 'large'] : [...ALL_SETS]);
  const scenarios = list(values.scenarios, ALL_SCENARIOS, '--scenarios') ?? [...ALL_SCENARIOS];
  const chosen = list(values.tools, ALL_TOOLS, '--tools') ?? [...ALL_TOOLS];
  const tools = ALL_TOOLS.filter((t) => t === 'rsync' || chosen.includes(t));

  const smallFiles = num(pick(values['small-files'], 'BENCH_SMALL_FILES'), '--small-files', quick ? 2000 : 20_000);
  const smallDirs = num(pick(values['small-dirs'], 'BENCH_SMALL_DIRS'), '--small-dirs', Math.max(1, Math.round(smallFiles / 10)));
  const largeFiles = num(pick(values['large-files'], 'BENCH_LARGE_FILES'), '--large-files', quick ? 1 : 4);
  const largeMib = num(pick(values['large-mib'], 'BENCH_LARGE_MIB'), '--large-mib', quick ? 16 : 64);
  const wideFiles = num(pick(values['wide-files'], 'BENCH_WIDE_FILES'), '--wide-files', quick ? 10_000 : 100_000);
  const wideDirs = num(pick(values['wide-dirs'], 'BENCH_WIDE_DIRS'), '--wide-dirs', Math.max(1, Math.round(wideFiles / 10)));

  const upTo = (n: number): number => Math.min(rounds, n);
  const plans: SetPlan[] = sets.map((name): SetPlan => {
    switch (name) {
      case 'small':
        return {
          name,
          shape: { kind: 'tree', files: smallFiles, dirs: smallDirs, maxSize: 16 << 10, symlinks: 10 },
          scenarios,
          rounds: { 'first-copy': upTo(3), 'no-change': rounds, rewrite: rounds, delete: upTo(3), rename: upTo(3) },
          cp: true,
        };
      case 'large':
        return {
          name,
          shape: { kind: 'large', files: largeFiles, size: largeMib << 20 },
          scenarios,
          rounds: { 'first-copy': rounds, 'no-change': rounds, rewrite: upTo(3), delete: upTo(3), rename: upTo(3) },
          cp: true,
        };
      case 'wide':
        // 100k files: one first copy per tool (each writes the whole tree), fewer rounds elsewhere, and no rename
        // unless asked for (rsync would delete and re-copy a third of the tree every round).
        return {
          name,
          shape: { kind: 'tree', files: wideFiles, dirs: wideDirs, maxSize: 16 << 10, symlinks: 10 },
          scenarios: scenarios.filter((s) => s !== 'rename' || values.scenarios !== undefined),
          rounds: { 'first-copy': 1, 'no-change': upTo(3), rewrite: upTo(1), delete: upTo(1), rename: upTo(1) },
          cp: false,
        };
    }
  });

  const standard = !quick && smallFiles === 20_000 && smallDirs === 2000 && largeMib >= 64 && wideFiles === 100_000;
  return {
    quick,
    standard,
    sets: plans,
    tools,
    baseDir: pick(values.dir, 'BENCH_DIR') ?? tmpdir(),
    json: values.json === true,
    seed: pick(values.seed, 'BENCH_SEED') ?? 'absync',
    keep: values.keep === true,
    settle: num(values.settle, '--settle', quick ? 0 : 60, 0),
  };
}
