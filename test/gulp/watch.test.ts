/** The watch wrapper: runs at once, on changes and ticks, never two at once; logs; stops cleanly. No fixed sleeps. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { absyncWatch, type WatchHandle, type WatchOptions } from '../../src/index.js';
import { assertMirror, readTree, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';
import { tooDeepForDestination } from './fixtures.js';
import { NEEDS_UNIX_TOOLS } from '../helpers/platform.js';

/** Starts a watch that logs into `lines`, and makes sure the test closes it. */
function start(t: { after(fn: () => Promise<void>): void }, options: WatchOptions, lines: string[] = []): WatchHandle {
  const w = absyncWatch({ debounce: 50, log: (line) => lines.push(line), ...options });
  t.after(() => w.close());
  return w;
}

function copiedFiles(root: string): number {
  if (!existsSync(root)) return 0;
  return (readdirSync(root, { recursive: true }) as string[]).filter((p) => /f\d+\.txt$/.test(p)).length;
}

function tempNames(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).filter((p) => /\.absync-tmp\.|\.absync\.lock/.test(p));
}

test('syncs at once, then picks up a change to the source', async (t) => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { 'a.txt': 'a', 'sub/b.txt': 'b' });
  const destination = join(root, 'dst');
  const w = start(t, { source, destination });
  const first = await w.nextRun();
  assert.equal(first.trigger, 'start');
  assert.equal(first.summary?.copied, 2);
  await w.ready;
  await w.idle();
  assert.ok(w.runs >= 2, 'a ready watcher asks for one more run (for changes made while it was starting)');
  assertMirror(source, destination);

  writeFileSync(join(source, 'sub', 'c.txt'), 'new file');
  await until(() => existsSync(join(destination, 'sub', 'c.txt')), 'the change to be mirrored');
  await w.idle();
  assertMirror(source, destination);
  assert.equal(w.lastRun?.trigger, 'change');
  // The run scanned only what the watcher reported, not the whole tree.
  assert.ok(w.lastRun?.scope?.includes('sub/c.txt'), JSON.stringify(w.lastRun?.scope));
  assert.ok(!w.lastRun?.scope?.includes('a.txt'));
});

test('requests during a run make exactly one more run', async (t) => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { 'a.txt': 'a' });
  const lines: string[] = [];
  const w = start(t, { source, destination: join(root, 'dst'), watch: false, interval: 3600 }, lines);
  // The first run started synchronously and is in flight: ten requests now coalesce into one more run.
  for (let i = 0; i < 10; i++) w.sync();
  await until(() => w.runs >= 2, 'the second run');
  await w.idle();
  assert.equal(w.runs, 2);
  assert.equal(lines.filter((l) => l.startsWith('synced ')).length, 2);
});

test('a burst of changes to the source is debounced into one extra run', async (t) => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { 'a.txt': 'a' });
  const destination = join(root, 'dst');
  // A long debounce: the burst is written synchronously, so all its events arrive well within it.
  const w = start(t, { source, destination, debounce: 1000 });
  await w.ready;
  await w.idle();
  const before = w.runs;
  for (let i = 0; i < 20; i++) writeFileSync(join(source, `burst-${i}.txt`), `burst ${i}`);
  await until(() => w.runs > before, 'the run after the burst');
  await w.idle();
  assert.equal(w.runs, before + 1);
  assert.equal(w.lastRun?.summary?.copied, 20);
  assertMirror(source, destination);
});

test('interval ticks run again; a tick that comes during a run is skipped and logged', async (t) => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { 'a.txt': 'a' });
  const lines: string[] = [];
  // A tick every millisecond: any run (lock, two scans, a write) outlasts it.
  const w = start(t, { source, destination: join(root, 'dst'), watch: false, interval: 0.001 }, lines);
  await until(() => w.runs >= 3 && lines.some((l) => l.includes('tick skipped')), 'ticks and a skipped tick');
  assert.ok(w.lastRun?.trigger === 'tick');
  assert.match(lines[0] ?? '', /^watching .* \(every 0\.001 s\)$/);
  assert.ok(lines.includes('interval tick skipped: the previous run is still going'));
});

test('every run is appended to the log file, timestamped, with each failure; a failed or refused run does not stop the watch', { skip: NEEDS_UNIX_TOOLS }, async (t) => {
  const root = tmp();
  const { source, destination } = tooDeepForDestination(root);
  const logFile = join(root, 'logs', 'nested', 'absync.log');
  const lines: string[] = [];
  const w = start(t, { source, destination, logFile, watch: false, interval: 3600 }, lines);
  await until(() => w.runs >= 1, 'the first run');
  assert.ok((w.lastRun?.summary?.failed ?? 0) > 0);
  assert.equal(readFileSync(join(destination, 'ok.txt'), 'utf8'), 'ok', 'the rest was mirrored');

  const logged = readFileSync(logFile, 'utf8').trimEnd().split('\n');
  assert.deepEqual(logged.map((l) => l.replace(/^\S+ /, '')), lines, 'the log file has the same lines');
  for (const l of logged) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
  assert.ok(lines.some((l) => /^synced .* failed [1-9]/.test(l)));
  assert.ok(lines.some((l) => /^failed: 00x+\/.*: (mkdir|copy|scan): (cannot read source: )?name too long \(ENAMETOOLONG\)$/.test(l)));

  // A refused run is logged too, and the next one goes ahead.
  const w2 = start(t, { source: join(root, 'not-yet'), destination: join(root, 'dst2'), logFile, watch: false, interval: 3600 }, lines);
  await until(() => w2.runs >= 1, 'the refused run');
  assert.match(w2.lastRun?.error?.message ?? '', /source folder does not exist/);
  assert.match(readFileSync(logFile, 'utf8'), /run refused: source folder does not exist: .*not-yet/);
  writeTree(join(root, 'not-yet'), { 'late.txt': 'late' });
  w2.sync();
  await until(() => w2.runs >= 2, 'the run after the source appeared');
  assert.equal(w2.lastRun?.summary?.copied, 1);
});

test('a log file that cannot be written, or a bad option, throws at start and syncs nothing', () => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { 'a.txt': 'a', 'file': 'x' });
  const destination = join(root, 'dst');
  assert.throws(() => absyncWatch({ source, destination, logFile: join(source, 'file', 'absync.log') }), /cannot write log file .*absync\.log: E[A-Z]+/);
  // The watch's own options are checked by the one options table: the same error (E_OPTIONS) as the engine's.
  assert.throws(() => absyncWatch({ source, destination, interval: -1 }), { name: 'AbsyncError', code: 'E_OPTIONS', message: /^invalid option: interval must be a number of seconds from 0 to 2147483 .*got -1$/ });
  assert.throws(() => absyncWatch({ source, destination, interval: 0 }), /interval must be a number of seconds > 0, got 0/);
  assert.throws(() => absyncWatch({ source, destination, interval: 3e6 }), /interval must be a number of seconds from 0 to 2147483/);
  assert.throws(() => absyncWatch({ source, destination, watch: false }), /an interval is needed/);
  assert.throws(() => absyncWatch({ source, destination, debounce: '1s' } as never), /debounce must be a number of milliseconds >= 0, got "1s"/);
  assert.throws(() => absyncWatch({ destination }), /source is required/);
  assert.equal(existsSync(destination), false);
});

test('close() stops the run in flight between actions, leaves no temporary file or lock, and removes its signal handlers', async (t) => {
  const root = tmp();
  const spec: Record<string, string> = {};
  for (let i = 0; i < 400; i++) spec[`d${i % 20}/f${i}.txt`] = `file ${i} `.repeat(200);
  const source = writeTree(join(root, 'src'), spec);
  const destination = join(root, 'dst');
  const sigints = process.listenerCount('SIGINT');
  const lines: string[] = [];
  const w = start(t, { source, destination, handleSignals: true, concurrency: 1 }, lines);
  assert.equal(process.listenerCount('SIGINT'), sigints + 1);
  assert.equal(process.listenerCount('SIGTERM') > 0, true);

  // Close as soon as the first file has landed (checked between two I/O callbacks, not on a timer). The deadline only
  // catches a hang: under Windows Node (Wine) on a loaded machine the first copy took over 15 s in CI's Windows leg.
  const deadline = Date.now() + 60_000;
  while (copiedFiles(destination) === 0) {
    assert.ok(Date.now() < deadline, 'timed out waiting for the first copy');
    await new Promise((resolve) => setImmediate(resolve));
  }
  await w.close();
  assert.equal(w.runs, 1);
  assert.ok((w.lastRun?.summary?.copied ?? 0) < 400, 'the run was stopped before it finished');
  assert.deepEqual(tempNames(destination), []);
  assert.equal(process.listenerCount('SIGINT'), sigints);
  assert.equal(lines.at(-1), 'watch stopped');
  await w.closed;

  // Closed means closed: no run starts any more.
  writeFileSync(join(source, 'after.txt'), 'after');
  w.sync();
  await w.idle();
  assert.equal(w.runs, 1);
  assert.equal(Object.keys(readTree(destination)).includes('after.txt'), false);
});
