/** The task factory, run by gulp.series as a gulpfile would. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import gulp from 'gulp';
import { AbsyncError, absyncTask, SyncFailedError } from '../../src/index.js';
import { assertMirror, readTree, tmp, writeTree } from '../helpers/tree.js';
import { tooDeepForDestination } from './fixtures.js';
import { NEEDS_UNIX_TOOLS } from '../helpers/platform.js';

type TaskFunction = Parameters<typeof gulp.series>[0];

// gulp (undertaker) also reports a failed task as an 'error' event, which gulp-cli listens to; so must we.
gulp.on('error', () => undefined);

function run(task: TaskFunction): Promise<void> {
  return new Promise((resolve, reject) => task((err?: unknown) => (err ? reject(err) : resolve())));
}

test('absyncTask runs between a build and a deploy step in gulp.series', async () => {
  const root = tmp();
  const source = join(root, 'build');
  const destination = join(root, 'www');
  const lines: string[] = [];
  const deployed: string[] = [];
  const build: TaskFunction = (done) => {
    writeTree(source, { 'index.html': '<p>v1</p>', 'css/site.css': 'body{}' });
    done();
  };
  const mirrorTask = absyncTask({ source, destination, log: (line) => lines.push(line) });
  const deploy: TaskFunction = async () => {
    deployed.push(...Object.keys(readTree(destination)));
  };
  await run(gulp.series(build, mirrorTask, deploy));

  assert.deepEqual(deployed, ['css', 'css/site.css', 'index.html'], 'deploy ran after the mirror was complete');
  assertMirror(source, destination);
  // No displayName unless given (gulp would register an exported task under it); gulp.series shows the name.
  assert.equal(mirrorTask.displayName, undefined);
  assert.equal(mirrorTask.name, `absync:${destination}`);
  assert.equal(mirrorTask.description, `Mirror ${source} into ${destination}`);
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /^synced .* copied 2, updated 0, deleted 0/);

  writeTree(source, { 'index.html': '<p>v2</p>' });
  const summary = await mirrorTask();
  assert.equal(summary.updated, 1);
  assert.equal(summary.copied, 0);
  assert.equal(readFileSync(join(destination, 'index.html'), 'utf8'), '<p>v2</p>');
});

test('names and options are checked when the task is made', () => {
  const named = absyncTask({ source: 'a', destination: 'b', displayName: 'publish', description: 'Publish the site', log: false });
  assert.equal(named.displayName, 'publish');
  assert.equal(named.description, 'Publish the site');
  assert.throws(() => absyncTask({ destination: 'b' }), /source is required/);
  assert.throws(() => absyncTask({ source: 'a', destination: 'b', checksum: 'yes' } as never), /checksum must be true or false/);
  assert.throws(() => absyncTask({ source: 'a', destination: 'b', interval: 5 } as never), /unknown option "interval"/);
  assert.throws(() => absyncTask({ source: 'a', destination: 'b', displayName: '' }), /displayName must be a non-empty string/);
  assert.throws(() => absyncTask({ source: 'a', destination: 'b', log: 'loud' } as never), /log must be a function or false/);
  // The task's own options get the engine's one error (E_OPTIONS), from the one options table.
  assert.throws(() => absyncTask({ source: 'a', destination: 'b', flags: ['--x'] } as never), { name: 'AbsyncError', code: 'E_OPTIONS', message: /^invalid option: flags must be an object of flag -> description strings/ });
  assert.deepEqual(absyncTask({ source: 'a', destination: 'b', flags: { '--dry-run': 'change nothing' } }).flags, { '--dry-run': 'change nothing' });
  assert.equal(absyncTask({ source: 'a', destination: 'b' }).flags, undefined);
  assert.throws(() => absyncTask({ source: 'a', destination: 'b', flags: { '--x': 1 } } as never), /flags must be an object of flag -> description strings/);
  assert.equal(absyncTask({ source: 'site', destination: '../www' }).description, 'Mirror site into ../www', 'paths as given');
});

test('a refused run rejects the task and stops the series', async () => {
  const root = tmp();
  let deployed = false;
  const mirrorTask = absyncTask({ source: join(root, 'missing'), destination: join(root, 'www'), log: false });
  const deploy: TaskFunction = async () => {
    deployed = true;
  };
  await assert.rejects(run(gulp.series(mirrorTask, deploy)), (err: unknown) => {
    assert.ok(err instanceof AbsyncError);
    assert.equal(err.code, 'E_SOURCE_MISSING');
    assert.match(err.message, /source folder does not exist: .*missing/);
    return true;
  });
  assert.equal(deployed, false);
});

test('entries that fail reject the task with their paths and causes; the rest is mirrored', { skip: NEEDS_UNIX_TOOLS }, async () => {
  const { source, destination } = tooDeepForDestination(tmp());
  const mirrorTask = absyncTask({ source, destination, log: false });
  await assert.rejects(mirrorTask(), (err: unknown) => {
    assert.ok(err instanceof SyncFailedError);
    assert.ok(err.summary.failed > 0);
    assert.match(err.message, /(entry|entries) could not be mirrored into .*ddd/);
    assert.match(err.message, /failed: 00x+\/.*: (mkdir|copy|scan): (cannot read source: )?name too long \(ENAMETOOLONG\)/);
    return true;
  });
  assert.equal(readFileSync(join(destination, 'ok.txt'), 'utf8'), 'ok');
});
