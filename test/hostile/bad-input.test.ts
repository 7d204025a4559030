/**
 * Issue 11, class 3 (bad input): options a user can mistype or an attacker can choose get a clear one-line error or a
 * clear warning, never an internal error, a stack trace or a tight loop; and a refused run creates nothing (a missing
 * destination stays missing).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { readTree, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';
import { bothEngines, type Todos } from './helpers/engines.js';
import { assertHonest, assertRefused, bounded, PARALLEL, runBin, runLib, runShell, shown, type Bounded } from './helpers/run.js';
import { scriptFile } from './helpers/script.js';

const T_ = 'issue 11: bad input: fails today on';

function onBoth(what: string): Todos {
  return { native: `${T_} native: ${what}`, js: `${T_} js: ${what}` };
}

/** How many runs a log file records (one summary line each). */
function runsIn(log: string): number {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => /copied \d+, updated/.test(l)).length : 0;
}

/** Resolves true if `probe` holds within `ms`, false if not (for "this must not happen soon" checks). */
function within(ms: number, probe: () => boolean): Promise<boolean> {
  return until(() => probe() || undefined, 'the probe', ms).then(
    () => true,
    () => false,
  );
}

// Mostly waiting (a 2 s window each), so concurrently.
describe('issue 11 bad input: an interval too long for a timer', { concurrency: PARALLEL }, () => {
  for (const interval of ['2147484', '4294967.296', '99999999999999999999']) {
    bothEngines(`interval ${interval} s: refused, or clamped with a clear message, never a run every millisecond`, {}, async (engine) => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
      const dst = join(root, 'dst');
      const log = join(root, 'absync.log');
      const child = spawn(process.execPath, [CLI, src, dst, interval, log, '-q'], { cwd: REPO, env: engine.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const ended = bounded(child);
      await until(() => runsIn(log) >= 1 || child.exitCode !== null, 'the first run, or a refusal');
      if (child.exitCode !== null) {
        const r = await ended;
        assertRefused(r, /interval/);
        assert.ok(!existsSync(dst), 'a refused run creates no destination');
        return;
      }
      // Accepted: then the next tick is weeks away, and a second run within 2 s means the timer overflowed.
      const looping = await within(2_000, () => runsIn(log) >= 2);
      child.kill('SIGTERM');
      const r = await ended;
      assert.equal(looping, false, `no second run at once (${runsIn(log)} runs so far)\n${shown(r)}`);
      assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/, shown(r));
      assert.match(r.stderr, /interval/, `the clamping is said on stderr\n${shown(r)}`);
      assert.equal(r.code, 0, `SIGTERM stops it cleanly\n${shown(r)}`);
    });
  }

  const INDEX = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  bothEngines('absyncWatch({ interval: 2147484 }): throws at once, or runs once in 2 s (not every millisecond)', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
    const script = scriptFile(
      'watch-interval',
      `const { absyncWatch } = await import(${JSON.stringify(INDEX)});
      let handle;
      try {
        handle = absyncWatch({ source: process.argv[2], destination: process.argv[3], watch: false, interval: 2147484, log: false, onRun: () => console.log('run') });
      } catch (e) {
        console.log('threw: ' + e.message);
        process.exit(0);
      }
      setTimeout(() => handle.close().then(() => process.exit(0)), 2000);`,
    );
    const r = await bounded(spawn(process.execPath, [script, src, join(root, 'dst')], { cwd: REPO, env: engine.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(r.hung, false, shown(r));
    if (r.stdout.startsWith('threw: ')) {
      assert.match(r.stdout, /interval/, shown(r));
      return;
    }
    assert.equal(r.stdout.split('\n').filter((l) => l === 'run').length, 1, `one run in 2 s\n${r.stdout.split('\n').length} lines; stderr: ${r.stderr.slice(0, 500)}`);
  });
});

describe('issue 11 bad input: patterns that match nothing a path can be', () => {
  for (const [flag, pattern, today] of [
    ['--protect', '/', 'internal error: Expected pattern to be a non-empty string (exit 2), and the missing destination is created'],
    ['--exclude', '/', 'cannot list <source>: Expected pattern to be a non-empty string (exit 2), and the missing destination is created'],
    ['--exclude', '', ''],
  ] as const) {
    bothEngines(`${flag} ${JSON.stringify(pattern)}: one clear line naming the option, exit 2, and no destination created`, {}, async (engine) => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
      const dst = join(root, 'dst');
      const r = await runBin(engine, [src, dst, `${flag}=${pattern}`]);
      assertRefused(r, new RegExp(flag.slice(2)));
      assert.doesNotMatch(r.stderr, /Expected pattern/, shown(r));
      assert.ok(!existsSync(dst), 'a refused run creates no destination');
    });
  }

  bothEngines('sync({ protect: [\'/\'] }) rejects with a clear message, and creates no destination', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
    const dst = join(root, 'dst');
    const r = await runLib(engine, { source: src, destination: dst, protect: ['/'] });
    assert.ok(r.result && !r.result.ok, shown(r));
    assert.match(r.result.message, /protect/, `the message names the option: ${r.result.message}`);
    assert.doesNotMatch(r.result.message, /Expected pattern/, r.result.message);
    assert.ok(!existsSync(dst), 'a refused run creates no destination');
  });
});

describe('issue 11 bad input: very few file descriptors', () => {
  // Where a run starts running out depends on the descriptors the process inherits, so sweep the limits around it
  // (below 17 Node itself cannot start).
  const limits = [18, 20, 22, 24, 25, 26, 27, 28, 29, 30];
  const stack = 'a stack trace from node:internal/fs/promises (exit 1) at limits 18-25';
  const todos: Todos = {};
  bothEngines(`ulimit -n ${limits.join(', ')}: no stack trace, EMFILE reported as what it is, exit 0 only with an exact mirror`, todos, async (engine) => {
    const root = tmp();
    const spec = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`d${i % 10}/f${i}.txt`, `file ${i}`]));
    const src = writeTree(join(root, 'src'), spec);
    const wrong: string[] = [];
    for (const limit of limits) {
      const dst = join(root, `dst-${limit}`);
      const r = await runShell(engine, `ulimit -n ${limit}; exec "$NODE" "$CLI" '${src}' '${dst}'`);
      const why = honestUnderEmfile(r, src, dst);
      if (why !== '') wrong.push(`ulimit -n ${limit}: ${why}`);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
  });
});

/** '' when a run with few descriptors ended honestly, else what was wrong. */
function honestUnderEmfile(r: Bounded, src: string, dst: string): string {
  try {
    assertHonest(r);
  } catch (e) {
    return `${(e as Error).message.split('\n')[0] ?? ''}: ${r.stderr.trim().split('\n').slice(0, 2).join(' | ').slice(0, 200)}`;
  }
  if (/cannot list .*\.js|node:internal/.test(r.stderr)) return `blames its own code: ${r.stderr.trim().split('\n')[0] ?? ''}`;
  if (r.code === 0) return JSON.stringify(readTree(dst)) === JSON.stringify(readTree(src)) ? '' : 'exit 0 without an exact mirror';
  if (!/EMFILE|too many open files/.test(r.stderr)) return `exit ${String(r.code)} without naming EMFILE`;
  if (r.code === 2 && existsSync(dst)) return 'refused, but created the destination';
  return '';
}
