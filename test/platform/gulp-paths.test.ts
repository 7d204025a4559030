/**
 * The gulp plugin with nested paths, where Windows gives `file.relative` as `css\a.css`: a nested glob mirrors (no
 * ENOENT), a second run moves and copies nothing (so `changedOnly` passes nothing on), and an `exclude` of a folder
 * keeps what lies deep below it. Passes trivially where paths use `/`; under Windows Node it checks the face's
 * conversion.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import gulp from 'gulp';
import { tmp, writeTree } from '../helpers/tree.js';
import { actions, mirror } from '../gulp/streams.js';

describe('the gulp plugin with nested paths', () => {
  it('mirrors site/**/*.css, and a second run with changedOnly passes nothing on', async () => {
    const root = tmp();
    const site = writeTree(join(root, 'site'), { 'css/a.css': 'a{}', 'css/deep/b.css': 'b{}', 'index.html': '<p>' });
    const out = join(root, 'out');
    const css = () => gulp.src(join(site, '**', '*.css').split('\\').join('/'), { base: site, encoding: false });
    const first = await mirror(css(), out);
    assert.deepEqual(actions(first), { 'css/a.css': 'copied', 'css/deep/b.css': 'copied' });
    const again = await mirror(css(), out, { changedOnly: true });
    assert.deepEqual(again, [], 'nothing changed, so nothing is passed on');
    const all = await mirror(gulp.src(join(site, '**').split('\\').join('/'), { encoding: false }), out);
    assert.equal(Object.values(actions(all)).filter((a) => a === 'moved' || a === 'copied').length, 1, 'only index.html is new');
  });

  it("exclude: ['img/'] leaves img/deep/x.bin out", async () => {
    const root = tmp();
    const site = writeTree(join(root, 'site'), { 'img/deep/x.bin': Buffer.alloc(10, 1), 'a.txt': 'a' });
    const out = join(root, 'out');
    const files = await mirror(gulp.src(join(site, '**').split('\\').join('/'), { encoding: false }), out, { exclude: ['img/'] });
    assert.equal(actions(files)['img/deep/x.bin'], 'excluded');
    assert.equal(existsSync(join(out, 'img', 'deep', 'x.bin')), false);
    assert.equal(existsSync(join(out, 'a.txt')), true);
  });
});
