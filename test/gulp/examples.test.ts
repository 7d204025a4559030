/** The project's gulpfile.ts and the example gulpfiles, each run by gulp's own command line. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { assertMirror, isMirror, readTree, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';
import { gulpAsync, gulpSync } from './streams.js';
import { IS_WINDOWS, NEEDS_SIGNALS } from '../helpers/platform.js';

/** gulpfile.ts loads through esbuild-register, and node_modules holds the esbuild binary of the system npm ci ran on. */
const LINUX_ESBUILD = IS_WINDOWS ? 'gulpfile.ts loads through esbuild, whose binary in node_modules is the Linux one (npm ci ran on Linux)' : false;

const ORIGINAL = join(REPO, 'examples', 'original');

function outOf(example: string): string {
  const out = join(REPO, 'examples', example, 'out');
  rmSync(out, { recursive: true, force: true });
  return out;
}

/** Starts a long-running gulp task and collects its output. */
function startGulp(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
  const child = gulpAsync(args, env);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, output: () => text };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

test('examples/deploy: build -> mirror -> deploy receives every file once, then only what changed (nothing)', () => {
  const out = outOf('deploy');
  const first = gulpSync(['--gulpfile', 'examples/deploy/gulpfile.mjs', 'publish']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /deployed 5 changed file\(s\)/);
  const www = join(out, 'www');
  assert.deepEqual(Object.keys(readTree(www)), Object.keys(readTree(ORIGINAL)));
  assert.match(readFileSync(join(www, 'index.html'), 'utf8'), /<!-- built by gulp -->\n$/);
  assert.match(readFileSync(join(www, 'css/site.css'), 'utf8'), /\/\* built by gulp \*\/\n$/);
  assert.deepEqual(readFileSync(join(www, 'img/logo.png')), readFileSync(join(ORIGINAL, 'img/logo.png')), 'binary files byte-exact');

  const second = gulpSync(['--gulpfile', 'examples/deploy/gulpfile.mjs', 'publish']);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /deployed 0 changed file\(s\)/);
  const log = readFileSync(join(out, 'deployed.log'), 'utf8');
  assert.match(log, /^deploy: 5 file\(s\)\n(  copied \S+\n){5}deploy: 0 file\(s\)\n$/);
});

test('examples/read-false: the plugin with read: false mirrors the example exactly', () => {
  const out = outOf('read-false');
  const r = gulpSync(['--gulpfile', 'examples/read-false/gulpfile.mjs', 'mirror']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Finished 'mirror'/);
  assertMirror(ORIGINAL, join(out, 'mirror'));
});

test('examples/watch: syncs at once, logs to its file, and stops cleanly on SIGINT', { timeout: 30_000, skip: NEEDS_SIGNALS }, async () => {
  const out = outOf('watch');
  const { child, output } = startGulp(['--gulpfile', 'examples/watch/gulpfile.mjs', 'watch']);
  try {
    // The first run, then the one a ready watcher asks for.
    await until(() => /synced .* copied 5,[\s\S]*synced .* copied 0,/.test(output()), 'two runs', 20_000);
    assertMirror(ORIGINAL, join(out, 'mirror'));
  } finally {
    assert.equal(await stop(child, 'SIGINT'), 0, output());
  }
  assert.match(output(), /stopping on SIGINT[\s\S]*watch stopped[\s\S]*Finished 'watch'/);
  const log = readFileSync(join(out, 'absync.log'), 'utf8');
  assert.match(log, /^\S+Z watching .*original -> .*mirror \(on changes and every 30 s\)\n\S+Z synced .* copied 5,[^\n]*\n\S+Z synced .* copied 0,[^\n]*\n\S+Z stopping on SIGINT\n\S+Z watch stopped\n$/);
});

test('examples/incremental: the first run mirrors everything; run again in one process, nothing', () => {
  const out = outOf('incremental');
  const r = gulpSync(['--gulpfile', 'examples/incremental/gulpfile.mjs', 'mirror', 'mirror', '--series']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /mirrored: copied 5, updated 0, deleted 0, moved 0[\s\S]*the stream carried no files: nothing to mirror/);
  assertMirror(ORIGINAL, join(out, 'mirror'));
});

test('examples/commonjs: require() in a .cjs gulpfile; exported tasks under their own names', () => {
  const out = outOf('commonjs');
  const listed = gulpSync(['--gulpfile', 'examples/commonjs/gulpfile.cjs', '--tasks']);
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
  assert.match(listed.stdout, /── staging\s+Mirror \.\.\/original into out\/staging\n/);
  assert.match(listed.stdout, /── production\s+Mirror \.\.\/original into out\/production\n/);
  const r = gulpSync(['--gulpfile', 'examples/commonjs/gulpfile.cjs', 'staging', 'production', 'plugin']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const name of ['staging', 'production', 'plugin']) assertMirror(ORIGINAL, join(out, name));
});

test('gulpfile.ts: `gulp --tasks` lists absync and absync:watch with descriptions', { skip: LINUX_ESBUILD }, () => {
  const r = gulpSync(['--tasks']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /absync\s+Mirror examples\/original into examples\/copy once.*\n.*--dry-run\s+…print what would change, and change nothing\n/);
  assert.match(r.stdout, /absync:watch\s+Mirror examples\/original into examples\/copy now, on every change and every 60 s, logging to examples\/absync\.log; Ctrl-C stops/);
});

test('gulpfile.ts: `gulp absync` mirrors once, `--dry-run` changes nothing; a missing source fails the task', { skip: LINUX_ESBUILD }, () => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { 'a.txt': 'a', 'sub/b.txt': 'b' });
  const destination = join(root, 'dst');
  const r = gulpSync(['absync'], { ABSYNC_SOURCE: source, ABSYNC_DESTINATION: destination });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /synced .* copied 2[\s\S]*Finished 'absync'/);
  assertMirror(source, destination);

  writeTree(source, { 'c.txt': 'c' });
  const dry = gulpSync(['absync', '--dry-run'], { ABSYNC_SOURCE: source, ABSYNC_DESTINATION: destination });
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  assert.match(dry.stdout, /dry run \(nothing changed\): would have .*copied 1,/);
  assert.ok(!existsSync(join(destination, 'c.txt')), '--dry-run changed nothing');

  const missing = gulpSync(['absync'], { ABSYNC_SOURCE: join(root, 'missing'), ABSYNC_DESTINATION: destination });
  assert.equal(missing.code, 1);
  assert.match(missing.stdout + missing.stderr, /source folder does not exist: .*missing/);
});

test('gulpfile.ts: `gulp absync:watch` mirrors changes, logs to its file, and stops cleanly on SIGTERM', { timeout: 30_000, skip: LINUX_ESBUILD || NEEDS_SIGNALS }, async () => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { 'a.txt': 'a' });
  const destination = join(root, 'dst');
  const logFile = join(root, 'logs', 'absync.log');
  const { child, output } = startGulp(['absync:watch'], { ABSYNC_SOURCE: source, ABSYNC_DESTINATION: destination, ABSYNC_LOG_FILE: logFile });
  try {
    // The first run, then the one a ready watcher asks for: from then on, changes are seen.
    await until(() => /synced .* copied 1,[\s\S]*synced .* copied 0,/.test(output()), 'two runs', 20_000);
    writeTree(source, { 'b.txt': 'b' });
    // Polled: the watcher's run may still be writing (its lock file comes and goes) when b.txt first shows.
    await until(() => isMirror(source, destination), 'the change to be mirrored', 20_000);
  } finally {
    assert.equal(await stop(child, 'SIGTERM'), 0, output());
  }
  // A run in flight when the signal came finishes the action it is in and logs its line before the watch stops.
  assert.match(readFileSync(logFile, 'utf8'), /synced [\s\S]*stopping on SIGTERM\n(\S+Z synced [^\n]*\n)?\S+Z watch stopped\n$/);
});
