/**
 * SIGINT, SIGTERM (and, one-shot, SIGHUP) during the first copy of a large tree, one-shot and interval mode: handled
 * from the process' start, the run stops between two actions, no temporary file or lock is left, and the exit code
 * says how it ended.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { absync, CLI, REPO } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';
import { IS_WINDOWS } from '../helpers/platform.js';

const FILES = 2000;

let shared: string | undefined;

/** The large source, written once for the file's tests (no test changes it; each has its own destination). */
function largeSource(): string {
  if (shared !== undefined) return shared;
  const spec: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) spec[`d${i % 40}/f${i}.txt`] = `file ${i} `.repeat(400);
  shared = writeTree(join(tmp(), 'src'), spec);
  return shared;
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

function start(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('signals during a first copy', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
    it(`one-shot: ${signal} stops between two actions, leaves no temporary file or lock, exits ${code}; the next run completes the mirror`, async () => {
      const root = tmp();
      const src = largeSource();
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
    const src = largeSource();
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

  it('SIGINT during a folder of large files: the copy in flight finishes, the rest of the folder is not copied', async () => {
    // One folder of 512 KiB files, one tree call at a time: a stop must wait for the files of the call in flight (at
    // most 1 MiB of them), not for the rest of the folder (a call used to take up to 48 files of one folder). The
    // signal is raised inside the bin's process the moment its poll sees a file land, and the poll reports how many
    // had landed: no new call can start in between (that takes the main thread), so the bound holds without timing.
    const root = tmp();
    const many = 128;
    const block = Buffer.alloc(512 * 1024, 7);
    const spec: Record<string, Uint8Array> = {};
    for (let i = 0; i < many; i++) spec[`d0/f${i}.bin`] = block;
    const src = writeTree(join(root, 'src'), spec);
    const dst = join(root, 'dst');
    const raise = join(root, 'raise.mjs');
    writeFileSync(raise, `
import { readdirSync } from 'node:fs';
const dir = ${JSON.stringify(join(dst, 'd0'))};
const t = setInterval(() => {
  let n = 0;
  try { n = readdirSync(dir).filter((f) => !f.startsWith('.absync')).length; } catch { return; }
  if (n === 0) return;
  clearInterval(t);
  process.stderr.write('landed when raised: ' + n + '\\n');
  process.emit('SIGINT', 'SIGINT');
}, 2);
t.unref();
`);
    const child = spawn(process.execPath, ['--import', pathToFileURL(raise).href, CLI, src, dst, '--concurrency', '1'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 130, stderr);
    const landed = Number(/landed when raised: (\d+)/.exec(stderr)?.[1]);
    assert.ok(landed > 0, stderr);
    assert.ok(copied(dst) <= landed + 2, `${copied(dst)} copied, ${landed} when stopped: at most the 2 files of the call in flight may follow`);
    assert.deepEqual(leftovers(dst), []);
    assert.equal(absync([src, dst]).code, 0);
    assertMirror(src, dst);
  });

  it('SIGINT while waiting for another run\'s lock (--lock-timeout 600) stops the wait at once: exit 130, the other run\'s lock and the destination untouched', { skip: IS_WINDOWS ? 'writes a lock with Linux /proc start times' : false }, async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = writeTree(join(root, 'dst'), { old: 'o' });
    // A lock held by a live process (this one): the run waits for it.
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const lock = JSON.stringify({ pid: process.pid, host: hostname(), start: ticks, since: 'now' });
    writeFileSync(join(dst, '.absync.lock'), lock);
    const run = start([src, dst, '--lock-timeout', '600'], { ...process.env, ABSYNC_TRACE: '1' });
    await until(() => run.err().includes('absync trace: roots'), 'the run to reach the lock');
    run.child.kill('SIGINT');
    // Hang detection only: without the stop, the wait would last 600 s.
    const hang = new Promise<string>((resolve) => setTimeout(() => resolve('still waiting 20 s after SIGINT'), 20_000).unref());
    const code = await Promise.race([run.exited, hang]);
    if (typeof code === 'string') run.child.kill('SIGKILL');
    assert.equal(code, 130, run.err());
    assert.match(run.err(), /being synced by another absync run .*stopped waiting for it/);
    assert.match(run.err(), /absync: stopped by SIGINT/);
    assert.equal(readFileSync(join(dst, '.absync.lock'), 'utf8'), lock);
    assert.ok(existsSync(join(dst, 'old')) && !existsSync(join(dst, 'a')));
  });

  it('a second signal while the run stops ends the process at once, by that signal', async () => {
    const root = tmp();
    const src = largeSource();
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
