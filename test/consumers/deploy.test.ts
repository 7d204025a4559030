/**
 * Issue 12, point 6: a build whose 1,000 content-hashed chunks all changed names is a normal deploy, through the
 * task and the plugin, not a "nearly empty source"; the plugin's refusals name options as the API does.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { assertMirror, readTree, writeTree, type TreeSpec } from '../helpers/tree.js';
import { BOUNDED, consumerInstall, project } from './project.js';

before(() => consumerInstall(), { timeout: 600_000 });

function chunks(hash: string): TreeSpec {
  const spec: TreeSpec = { 'build/index.html': `<script src="chunk-0.${hash}.js"></script>\n` };
  for (let i = 0; i < 1000; i++) spec[`build/assets/chunk-${i}.${hash}.js`] = `export const n = ${i}; // ${hash}\n`;
  return spec;
}

const GULPFILE = `
import gulp from 'gulp';
import { absync, absyncTask } from 'gulp-absync';
export const task = absyncTask({ source: 'build', destination: 'www/task' });
export const plugin = () => gulp.src('build/**', { encoding: false }).pipe(absync('www/plugin'));
export const careful = () => gulp.src('build/**', { encoding: false }).pipe(absync('www/plugin', { maxDelete: 10 }));
`;

test('1,000 content-hashed chunks replaced by 1,000 new names deploy through the task and the plugin', BOUNDED, async () => {
  const p = await project({ type: 'module', files: { ...chunks('aaaa'), 'gulpfile.js': GULPFILE } });
  const build = join(p.dir, 'build');
  const both = (): void => {
    const r = p.gulp(['task', 'plugin']);
    assert.equal(r.code, 0, r.output);
    for (const out of ['www/task', 'www/plugin']) assertMirror(build, join(p.dir, out), { dirMtimes: false });
  };
  both();
  rmSync(build, { recursive: true });
  writeTree(p.dir, chunks('bbbb'));

  // Under a maxDelete limit the same deploy is refused, naming the option as the API does; nothing changes.
  const before = readTree(join(p.dir, 'www/plugin'));
  const r = p.gulp(['careful']);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /Error in plugin "gulp-absync"\nMessage:\n {4}refusing to sync: it would delete 1000 entries from .*www\/plugin \(e\.g\. .*\), more than maxDelete: 10\n/);
  assert.doesNotMatch(r.output, /--max-delete/);
  assert.deepEqual(readTree(join(p.dir, 'www/plugin')), before);

  both();
  assert.ok(readdirSync(join(p.dir, 'www/plugin/assets')).every((n) => n.endsWith('.bbbb.js')));
});
