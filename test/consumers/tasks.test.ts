/**
 * Issue 12, point 3 and part of 6: exported absyncTasks are gulp tasks under their export names, listed with their
 * descriptions and flags; a refused task is one line in gulp's output, naming the option; and what a run leaves
 * behind when gulp ends the process because another task of a `parallel` failed.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { assertMirror, readTree } from '../helpers/tree.js';
import { BOUNDED, consumerInstall, project } from './project.js';

before(() => consumerInstall(), { timeout: 600_000 });

const GULPFILE = `
import gulp from 'gulp';
import { absyncTask } from 'gulp-absync';

// A task that takes a flag reads it itself, and says so for gulp --tasks.
const dryRun = process.argv.includes('--dry-run');
export const staging = absyncTask({
  source: 'site', destination: 'out/staging', dryRun,
  flags: { '--dry-run': 'print what would change, change nothing' },
});
export const production = absyncTask({ source: 'site', destination: 'out/production', description: 'Publish site to production' });
export const careful = absyncTask({ source: 'site', destination: 'out/careful', maxDelete: 1 });
export const named = absyncTask({ source: 'site', destination: 'out/named', displayName: 'deploy:named' });
export const release = gulp.series(staging, production);
`;

test('exported tasks run under their export names, and all are listed with descriptions, flags and relative paths', BOUNDED, async () => {
  const p = await project({ type: 'module', files: { 'site/index.html': 'hi\n', 'site/css/a.css': 'a\n', 'gulpfile.js': GULPFILE } });
  const listed = p.gulp(['--tasks']);
  assert.equal(listed.code, 0, listed.output);
  const out = listed.stdout;
  assert.match(out, /── staging\s+Mirror site into out\/staging\n.*\s--dry-run\s+…print what would change, change nothing\n/);
  assert.match(out, /── production\s+Publish site to production\n/);
  assert.match(out, /── careful\s+Mirror site into out\/careful\n/);
  assert.match(out, /── deploy:named\s+Mirror site into out\/named\n/, 'an explicit displayName still names the task');
  // In a series, a task shows by its function name (gulp records it when the series is made).
  assert.match(out, /release\n.*<series>\n.*── absync:out\/staging\n.*── absync:out\/production\n/);
  assert.doesNotMatch(out, new RegExp(p.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '/site'), 'no absolute paths in descriptions');

  const dry = p.gulp(['staging', '--dry-run']);
  assert.equal(dry.code, 0, dry.output);
  assert.match(dry.stdout, /Starting 'staging'[\s\S]*dry run \(nothing changed\): would have .*copied 2[\s\S]*Finished 'staging'/);
  assert.equal(existsSync(join(p.dir, 'out/staging')), false);

  const r = p.gulp(['release', 'deploy:named']);
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /Starting 'absync:out\/staging'[\s\S]*Finished 'absync:out\/staging'[\s\S]*Starting 'absync:out\/production'/);
  for (const out of ['out/staging', 'out/production', 'out/named']) assertMirror(join(p.dir, 'site'), join(p.dir, out), { dirMtimes: false });
});

test('a refused task is one line in gulp\'s output, naming the option, with no stack trace', BOUNDED, async () => {
  const p = await project({
    type: 'module',
    files: { 'site/index.html': 'hi\n', 'out/careful/old1': '1', 'out/careful/old2': '2', 'gulpfile.js': GULPFILE },
  });
  const before = readTree(join(p.dir, 'out/careful'));
  const r = p.gulp(['careful']);
  assert.equal(r.code, 1, r.output);
  const lines = r.output.split('\n').filter((l) => l.trim() !== '');
  const failure = lines.findIndex((l) => /'careful' errored after/.test(l));
  assert.ok(failure > 0, r.output);
  assert.deepEqual(lines.slice(failure + 1).map((l) => l.replace(/^\[[\d:]+\] /, '')), [
    `AbsyncError: refusing to sync: it would delete 2 entries from ${join(p.dir, 'out/careful')} (e.g. "old1", "old2"), more than maxDelete: 1`,
  ]);
  assert.doesNotMatch(r.output, /^\s+at /m);
  assert.deepEqual(readTree(join(p.dir, 'out/careful')), before, 'nothing changed');
});

/** Names a run leaves in a destination or a temporary folder: its lock, its temporaries, the plugin's spool. */
function leftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => /\.absync-tmp\.|\.absync\.lock|absync-spool-/.test(p));
}

/** A parallel of a long mirror and a task that fails once the mirror holds its lock: gulp exits mid-run. */
async function failingParallel() {
  const files: Record<string, string> = {};
  for (let i = 0; i < 1000; i++) files[`big/d${i % 20}/f${i}.txt`] = `file ${i}\n`.repeat(200);
  const p = await project({
    type: 'module',
    files: {
      ...files,
      'tmp/.keep': '',
      'gulpfile.js': `
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import gulp from 'gulp';
import { absync, absyncTask } from 'gulp-absync';
const mirror = absyncTask({ source: 'big', destination: 'out/task' });
const stream = () => gulp.src('big/**', { buffer: false }).pipe(absync('out/plugin'));
// Fails once the mirror is under way (its lock exists), so gulp exits in the middle of the run.
const failWhile = (dest) => function fail() {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (!existsSync(dest + '/.absync.lock')) return;
      clearInterval(poll);
      console.log('spool folders: ' + readdirSync(tmpdir()).filter((n) => n.startsWith('absync-spool-')).length);
      reject(new Error('another task failed'));
    }, 1);
  });
};
export const task = gulp.parallel(mirror, failWhile('out/task'));
export const plugin = gulp.parallel(stream, failWhile('out/plugin'));
`,
    },
  });
  const run = (name: string) => {
    const r = p.gulp([name], { env: { TMPDIR: join(p.dir, 'tmp') } });
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /another task failed/);
    return r;
  };
  return { p, run };
}

test('gulp exits the process when another task of a parallel fails: the plugin\'s spooled streams go with it', BOUNDED, async () => {
  const { p, run } = await failingParallel();
  const r = run('plugin');
  assert.match(r.stdout, /spool folders: 1\n/, 'the run was spooling when gulp exited');
  assert.deepEqual(leftovers(join(p.dir, 'tmp')), []);
});

test(
  'gulp exits the process when another task of a parallel fails: no lock or temporary file is left in the destination',
  BOUNDED,
  async () => {
    const { p, run } = await failingParallel();
    for (const name of ['task', 'plugin']) run(name);
    assert.deepEqual({ task: leftovers(join(p.dir, 'out/task')), plugin: leftovers(join(p.dir, 'out/plugin')) }, { task: [], plugin: [] });
  },
);
