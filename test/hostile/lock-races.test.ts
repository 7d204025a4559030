/**
 * Issue 11, class 3 (lock races): one run at a time, even when several runs take over a stale lock at once. Five runs
 * start together over a lock left by a dead process, round after round; in each round every run copies all of the
 * source if it mirrors at all, so two runs that both copied something held the destination at the same time.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { tmp, writeTree } from '../helpers/tree.js';
import { bothEngines, type Engine, type Todos } from './helpers/engines.js';
import { syncPool, type PoolResult } from './helpers/pool.js';
import { bounded } from './helpers/run.js';

const RUNS = 5;

/** A pid that existed and has exited: what a killed run leaves in its lock. */
function deadPid(): number {
  const r = spawnSync('true');
  return r.pid as number;
}

/** A fresh destination holding a stale lock (the format of src/engine/lock.ts: pid, host, since). */
function staleDestination(root: string, round: number, pid: number): string {
  const dst = join(root, `dst-${round}`);
  mkdirSync(dst);
  writeFileSync(join(dst, '.absync.lock'), JSON.stringify({ pid, host: hostname(), since: new Date(Date.now() - 60_000).toISOString() }));
  return dst;
}

/** What a round shows: how many runs mirrored (copied something), and any answer that is neither that nor E_LOCKED. */
function judge(results: readonly PoolResult[]): { mirrored: number; odd: string[] } {
  let mirrored = 0;
  const odd: string[] = [];
  for (const r of results) {
    if (r.ok && r.failed === 0) mirrored += r.copied > 0 ? 1 : 0;
    else if (r.ok || r.code !== 'E_LOCKED') odd.push(JSON.stringify(r));
  }
  return { mirrored, odd };
}

/** One verdict over all rounds: every run mirrored or was refused with E_LOCKED, and exactly one mirrored per round. */
function check(rounds: readonly { mirrored: number; odd: string[] }[]): void {
  const overlaps = rounds.filter((r) => r.mirrored > 1).length;
  const none = rounds.filter((r) => r.mirrored === 0).length;
  const odd = rounds.flatMap((r, i) => r.odd.map((o) => `round ${i + 1}: ${o}`));
  const verdict = `${overlaps} of ${rounds.length} rounds had two or more runs mirroring at once, ${none} had none; ${odd.length} answers neither mirrored cleanly nor E_LOCKED${odd.length > 0 ? ` (first: ${odd[0] ?? ''})` : ''}`;
  assert.ok(overlaps === 0 && none === 0 && odd.length === 0, verdict);
}

describe('issue 11 lock races: five runs at once over a dead pid\'s lock', () => {
  const source = (root: string): string => writeTree(join(root, 'src'), Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, `file ${i}`])));

  const libTodos: Todos = {};
  bothEngines('the library sync() in five processes, 40 rounds: at most one mirrors per round, the others get E_LOCKED', libTodos, async (engine) => {
    const root = tmp();
    const src = source(root);
    const pool = syncPool(engine, RUNS);
    const rounds = [];
    try {
      for (let round = 1; round <= 40; round++) {
        const dst = staleDestination(root, round, deadPid());
        rounds.push(judge(await pool.round({ source: src, destination: dst })));
      }
    } finally {
      await pool.close();
    }
    check(rounds);
  });

  // Rarer through the bin (process starts spread the runs out), so few rounds catch it; the library case is the stress.
  const binTodos: Todos = {};
  bothEngines('the bin, five at once, 4 rounds: at most one mirrors per round, the others are refused (exit 2)', binTodos, async (engine: Engine) => {
    const root = tmp();
    const src = source(root);
    const rounds = [];
    for (let round = 1; round <= 4; round++) {
      const dst = staleDestination(root, round, deadPid());
      const runs = await Promise.all(
        Array.from({ length: RUNS }, () => bounded(spawn(process.execPath, [CLI, src, dst, '--json'], { cwd: REPO, env: engine.env, stdio: ['ignore', 'pipe', 'pipe'] }))),
      );
      rounds.push(
        judge(
          runs.map((r): PoolResult => {
            if (r.code === 0) {
              const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { copied: number; failed: number };
              return { ok: true, copied: j.copied, failed: j.failed };
            }
            return { ok: false, ...(r.code === 2 && /another absync run|lock/.test(r.stderr) ? { code: 'E_LOCKED' } : {}), message: `exit ${String(r.code)}: ${r.stderr.trim()}` };
          }),
        ),
      );
    }
    check(rounds);
  });
});
