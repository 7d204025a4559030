/**
 * Case-only renames. On a case-insensitive disk (NTFS, APFS by default, Wine's drives) `Docs` and `docs` are one
 * entry: a rename of `docs` to `Docs` finds its target "existing" and must go through anyway, or it is refused on
 * every run (vanished 1) and the destination keeps the old case forever. On a case-sensitive disk the same tests
 * are ordinary renames, so they run everywhere.
 */
import assert from 'node:assert/strict';
import { readdirSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import gulp from 'gulp';
import { sync } from '../../src/index.js';
import { assertMirror, tmp } from '../helpers/tree.js';
import { actions, mirror } from '../gulp/streams.js';

/** Renames by way of a third name: some case-insensitive disks (Wine's) keep the old case on a direct rename. */
function renameCase(from: string, to: string): void {
  renameSync(from, `${from}.renaming`);
  renameSync(`${from}.renaming`, to);
}

describe('case-only renames', () => {
  it('a folder renamed docs -> Docs is renamed in the destination, and the next run does nothing', async () => {
    const root = tmp();
    const src = join(root, 'src');
    mkdirSync(join(src, 'docs/deep'), { recursive: true });
    for (const n of ['a.md', 'b.md', 'deep/c.md']) writeFileSync(join(src, 'docs', n), `content of ${n}`);
    writeFileSync(join(src, 'top.txt'), 'top');
    const dst = join(root, 'dst');
    await sync({ source: src, destination: dst });
    renameCase(join(src, 'docs'), join(src, 'Docs'));
    const s = await sync({ source: src, destination: dst });
    assert.deepEqual({ vanished: s.vanished, failed: s.failed, copied: s.copied }, { vanished: 0, failed: 0, copied: 0 }, JSON.stringify(s.failures));
    assert.ok(s.moved >= 1, 'moved, not copied');
    assert.deepEqual(readdirSync(dst).filter((n) => !n.startsWith('.')).sort(), ['Docs', 'top.txt']);
    assertMirror(src, dst);
    const again = await sync({ source: src, destination: dst });
    assert.deepEqual({ moved: again.moved, vanished: again.vanished, copied: again.copied, deleted: again.deleted }, { moved: 0, vanished: 0, copied: 0, deleted: 0 });
  });

  it('a file renamed readme.md -> README.md, and a changed one Notes.txt -> notes.txt, end under the new case', async () => {
    const root = tmp();
    const src = join(root, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'readme.md'), 'read me');
    writeFileSync(join(src, 'Notes.txt'), 'notes');
    const dst = join(root, 'dst');
    await sync({ source: src, destination: dst });
    renameCase(join(src, 'readme.md'), join(src, 'README.md'));
    renameCase(join(src, 'Notes.txt'), join(src, 'notes.txt'));
    writeFileSync(join(src, 'notes.txt'), 'notes, longer now');
    const s = await sync({ source: src, destination: dst });
    assert.deepEqual({ vanished: s.vanished, failed: s.failed }, { vanished: 0, failed: 0 }, JSON.stringify(s.failures));
    assert.deepEqual(readdirSync(dst).filter((n) => !n.startsWith('.')).sort(), ['README.md', 'notes.txt']);
    assertMirror(src, dst);
  });

  it('through the gulp plugin: js -> JS and index.html -> INDEX.html end under the new case, and the next run does nothing', async () => {
    // The plugin keeps a destination entry the stream did not carry while its source exists under the base: on a
    // case-insensitive disk `site/index.html` "exists" when the file is INDEX.html, so the old name must not count.
    const root = tmp();
    const site = join(root, 'site');
    mkdirSync(join(site, 'js'), { recursive: true });
    writeFileSync(join(site, 'js/m.js'), 'm');
    writeFileSync(join(site, 'index.html'), '<p>');
    const out = join(root, 'out');
    const stream = () => gulp.src(join(site, '**').split('\\').join('/'), { encoding: false });
    await mirror(stream(), out);
    renameCase(join(site, 'js'), join(site, 'JS'));
    renameCase(join(site, 'index.html'), join(site, 'INDEX.html'));
    const files = await mirror(stream(), out); // rejects with the PluginError when an entry fails
    assert.deepEqual(actions(files), { 'INDEX.html': 'moved', JS: 'moved', 'JS/m.js': 'moved' });
    assert.deepEqual(readdirSync(out).filter((n) => !n.startsWith('.')).sort(), ['INDEX.html', 'JS']);
    assertMirror(site, out);
    const again = await mirror(stream(), out, { changedOnly: true });
    assert.deepEqual(again, [], 'nothing is left to do');
  });
});
