/**
 * SIGINT and SIGTERM during the first copy of a large tree, one-shot and interval mode: handled from the process'
 * start, the run stops between two actions, no temporary file or lock is left, and the exit code says how it ended.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, CLI, REPO } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

const FILES = 3000;

function largeSource(root: string): string {
  const spec: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) spec[`d${i % 40}/f${i}.txt`] = `file ${i} `.repeat(400);
  return writeTree(join(root, 'src'), spec);
}

/** Files written under their real names so far (temporaries and the lock are not counted). */
function copied(dst: string): number {
  if (!existsSync(dst)) return 0;
  let n = 0;
  for (const d of readdirSync(dst)) {
    if (!d.startsWith('d')) continue;
    try {
      n += readdirSync(join(dst, d)).filter((f) => !f.startsWith('.absync')).length;
    } catch {
      /* a folder being made */
    }
  }
  return n;
}

function leftovers(dst: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.absync')) out.push(join(dir, e.name));
      if (e.isDirectory()) walk(join(dir, e.name));
    }
  };
  walk(dst);
  return out;
}

function start(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('signals during a first copy', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`one-shot: ${signal} stops between two actions, leaves no temporary file or lock, exits ${code}; the next run completes the mirror`, async () => {
      const root = tmp();
      const src = largeSource(root);
      const dst = join(root, 'dst');
      const run = start([src, dst, '--concurrency', '1', '-v']);
      await until(() => copied(dst) > 0, 'the first file to land');
      run.child.kill(signal);
      assert.equal(await run.exited, code, run.err());
      assert.ok(copied(dst) < FILES, 'stopped before the end');
      assert.deepEqual(leftovers(dst), []);
      assert.match(run.err(), new RegExp(`absync: stopped by ${signal}; the next run picks up what was not done`));
      // What -v printed is exactly what was done: each file it names is there, and no other.
      const named = run.out().split('\n').filter((l) => l.startsWith('create ')).map((l) => l.replace(/^create\s+(\S+) .*$/, '$1')).sort();
      const present = readdirSync(dst).filter((d) => d.startsWith('d')).flatMap((d) => readdirSync(join(dst, d)).map((f) => `${d}/${f}`)).sort();
      assert.deepEqual(named, present);
      assert.equal(absync([src, dst]).code, 0);
      assertMirror(src, dst);
    });
  }

  it('interval mode: SIGTERM during the first run stops it cleanly and exits 0 (stopped as asked)', async () => {
    const root = tmp();
    const src = largeSource(root);
    const dst = join(root, 'dst');
    const log = join(root, 'sync.log');
    const run = start([src, dst, '60', log, '--concurrency', '1']);
    await until(() => copied(dst) > 0, 'the first file to land');
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.err());
    assert.ok(copied(dst) < FILES, 'stopped before the end');
    assert.deepEqual(leftovers(dst), []);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.match(lines.at(-1) ?? '', /SIGTERM: stopped$/);
    assert.ok(!lines.some((l) => / watching: /.test(l)), 'no interval started after a stopped first run');
  });

  it('a second signal while the run stops ends the process at once, by that signal', async () => {
    const root = tmp();
    const src = largeSource(root);
    const dst = join(root, 'dst');
    const run = start([src, dst, '--concurrency', '1']);
    await until(() => copied(dst) > 0, 'the first file to land');
    const signalled = new Promise<NodeJS.Signals | null>((resolve) => run.child.on('exit', (_c, s) => resolve(s)));
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const how = await signalled;
    // Either the second signal killed it, or the first had already stopped it cleanly (exit 130).
    assert.ok(how === 'SIGINT' || run.child.exitCode === 130, `exit ${run.child.exitCode} ${how}`);
  });
});
