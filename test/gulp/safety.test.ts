/** Delete safety, protection and backups through the task factory and the plugin, as through the CLI. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import gulp from 'gulp';
import PluginError from 'plugin-error';
import { AbsyncError, absyncTask } from '../../src/index.js';
import { readTree, tmp, writeTree } from '../helpers/tree.js';
import { mirror, vinyl } from './streams.js';

gulp.on('error', () => undefined);

function run(task: (done: (err?: unknown) => void) => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = task((err) => (err ? reject(err) : resolve()));
    if (r instanceof Promise) r.then(() => resolve(), reject);
  });
}

test('the task: maxDelete refuses the run before anything changes', async () => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { keep: 'k' });
  const destination = writeTree(join(root, 'dst'), { keep: 'k', a: '1', b: '2' });
  const before = readTree(destination);
  const task = absyncTask({ source, destination, maxDelete: 1, log: false });
  await assert.rejects(run(task), (err: unknown) => err instanceof AbsyncError && err.code === 'E_MAX_DELETE');
  assert.deepEqual(readTree(destination), before);
});

test('the task: protect and backupDir', async () => {
  const root = tmp();
  const source = writeTree(join(root, 'src'), { 'index.html': 'v2' });
  const destination = writeTree(join(root, 'dst'), { 'index.html': 'v1', 'uploads/u.jpg': 'u', stale: 's' });
  await run(absyncTask({ source, destination, protect: ['uploads/'], backupDir: '../bak', log: false }));
  assert.equal(readFileSync(join(destination, 'uploads/u.jpg'), 'utf8'), 'u');
  assert.ok(!existsSync(join(destination, 'stale')));
  assert.equal(readFileSync(join(root, 'bak/stale'), 'utf8'), 's');
  assert.equal(readFileSync(join(root, 'bak/index.html'), 'utf8'), 'v1');
  assert.equal(readFileSync(join(destination, 'index.html'), 'utf8'), 'v2');
});

test('the plugin: protect keeps destination-only entries; maxDelete is a PluginError', async () => {
  const root = tmp();
  const base = join(root, 'site');
  const dest = writeTree(join(root, 'www'), { '.well-known/acme': 't', old1: '1', old2: '2' });
  await assert.rejects(
    mirror([vinyl(base, 'index.html', Buffer.from('hi'))], dest, { maxDelete: 1 }),
    (err: unknown) => err instanceof PluginError && /more than maxDelete: 1$/.test(err.message) && (err as PluginError & { option?: string }).option === 'maxDelete',
  );
  assert.ok(existsSync(join(dest, 'old1')));
  await mirror([vinyl(base, 'index.html', Buffer.from('hi'))], dest, { protect: ['.well-known/'] });
  assert.deepEqual(Object.keys(readTree(dest)).sort(), ['.well-known', '.well-known/acme', 'index.html']);
});
