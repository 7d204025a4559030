/** Races between scan and apply, made by changing the disk after planning: never by sleeping. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { planThenApply } from '../helpers/race.js';
import { tmp, writeTree } from '../helpers/tree.js';
import { NEEDS_SYMLINKS } from '../helpers/platform.js';

describe('changes between scan and apply', () => {
  it('a source file deleted after the scan is counted as vanished, not failed', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', b: 'b' });
    const dst = join(root, 'dst');
    mkdirSync(dst);
    const s = await planThenApply(src, dst, () => rmSync(join(src, 'a')));
    assert.equal(s.failed, 0);
    assert.equal(s.vanished, 1);
    assert.equal(s.copied, 1);
    assert.deepEqual(readdirSync(dst), ['b']);
  });

  it('a destination file changed after the scan is not deleted', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { keep: 'k' });
    const dst = writeTree(join(root, 'dst'), { keep: 'k', extra: 'old' });
    const s = await planThenApply(src, dst, () => writeFileSync(join(dst, 'extra'), 'someone wrote this'));
    assert.equal(s.failed, 0);
    assert.equal(s.vanished, 1);
    assert.equal(readFileSync(join(dst, 'extra'), 'utf8'), 'someone wrote this');
  });

  it('a destination file replaced after the scan is not overwritten by an update', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { f: 'new content' });
    const dst = writeTree(join(root, 'dst'), { f: 'old' });
    const s = await planThenApply(src, dst, () => {
      rmSync(join(dst, 'f'));
      writeFileSync(join(dst, 'f'), 'other');
    });
    assert.equal(s.updated, 0);
    assert.equal(s.vanished, 1);
    assert.equal(readFileSync(join(dst, 'f'), 'utf8'), 'other');
    assert.deepEqual(readdirSync(dst), ['f']);
  });

  it('a destination folder swapped for a symlink after the scan does not redirect writes', { skip: NEEDS_SYMLINKS }, async () => {
    const root = tmp();
    const outside = join(root, 'outside');
    mkdirSync(outside);
    const src = writeTree(join(root, 'src'), { 'sub/new.txt': 'n' });
    const dst = writeTree(join(root, 'dst'), { 'sub/': { dir: true } });
    const s = await planThenApply(src, dst, () => {
      rmSync(join(dst, 'sub'), { recursive: true });
      symlinkSync(outside, join(dst, 'sub'));
    });
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(s.failed, 1);
    assert.match(s.failures[0]?.message ?? '', /symlink; refusing to write through it/);
  });

  it('a folder that gained a file after the scan is not deleted', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { keep: 'k' });
    const dst = writeTree(join(root, 'dst'), { keep: 'k', 'old/f': 'f' });
    const s = await planThenApply(src, dst, () => writeFileSync(join(dst, 'old', 'new'), 'n'));
    assert.equal(s.failed, 0);
    assert.ok(existsSync(join(dst, 'old', 'new')));
  });
});
