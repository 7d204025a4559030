/**
 * Mtimes as each platform stores them: a second run over an unchanged tree does nothing, a renamed file is moved (its
 * mtime matches its twin's), on every platform the suite runs on. Windows libuv stores utimes times on a ~1.6 us grid
 * (100 ns ticks through a double), so about a third of microsecond targets land one microsecond off: these tests fail
 * there when the comparison is exact.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sync } from '../../src/index.js';
import { absync, jsonOf } from '../helpers/cli.js';
import { assertMirror, tmp } from '../helpers/tree.js';

/**
 * A tree of `n` files in 21 folders, with the mtimes the system clock gave them (100 ns ticks on Windows, ns on Linux):
 * times Node did not set, so a copy can land beside them.
 */
function clockTimes(root: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const dir = join(root, `d${i % 7}`, `e${i % 3}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `f${i}.txt`), `file ${i}`);
  }
}

describe('mtimes converge on this platform', () => {
  it('a second run over an unchanged tree changes nothing (files, folders, the root)', async () => {
    const root = tmp();
    const src = join(root, 'src');
    clockTimes(src, 300);
    const dst = join(root, 'dst');
    const first = await sync({ source: src, destination: dst });
    assert.equal(first.copied, 300);
    assert.equal(first.failed, 0);
    const again = await sync({ source: src, destination: dst });
    assert.deepEqual(
      { copied: again.copied, updated: again.updated, attrs: again.attrs, moved: again.moved, deleted: again.deleted, vanished: again.vanished },
      { copied: 0, updated: 0, attrs: 0, moved: 0, deleted: 0, vanished: 0 },
      'an unchanged tree is left alone',
    );
    assertMirror(src, dst);
  });

  it('a renamed file is moved, not copied, and a renamed folder is renamed (through the bin)', () => {
    const root = tmp();
    const src = join(root, 'src');
    clockTimes(src, 60);
    const dst = join(root, 'dst');
    assert.equal(absync([src, dst, '--quiet']).code, 0);
    renameSync(join(src, 'd1/e1/f1.txt'), join(src, 'd1/e1/renamed.txt'));
    renameSync(join(src, 'd2'), join(src, 'd2-new'));
    const r = absync([src, dst, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = jsonOf(r);
    assert.equal(j.copied, 0, 'nothing copied: every renamed file is moved');
    assert.equal(j.moved, 2);
    assert.equal(j.updated, 0);
    assertMirror(src, dst);
  });
});
