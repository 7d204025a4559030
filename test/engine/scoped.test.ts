/** Incremental runs: a watcher that knows which paths changed scans only those (and their parents). */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveOptions } from '../../src/engine/options.js';
import { runSync, sync } from '../../src/engine/sync.js';
import { scanTree } from '../../src/engine/backends/local-js/scan-tree.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

describe('runs scoped to the changed paths', () => {
  it('scan only the given paths, their subtrees and their parent folders', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a/b/c.txt': 'c', 'a/b/d.txt': 'd', 'a/x/y.txt': 'y', 'z/big/1': '1', top: 't' });
    const snap = scanTree(src, 'source', undefined, ['a/b/c.txt', 'z', 'missing/file']);
    assert.deepEqual([...snap.entries.keys()].sort(), ['a', 'a/b', 'a/b/c.txt', 'z', 'z/big', 'z/big/1']);
    assert.deepEqual(snap.scope, ['a/b/c.txt', 'missing/file', 'z']);
  });

  it('mirror creates, edits, deletes and renames exactly like a full run', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'docs/a.md': 'a', 'docs/old/b.md': 'b', 'img/logo.png': Buffer.alloc(500, 1), keep: 'k' });
    const dst = join(root, 'dst');
    await sync({ source: src, destination: dst });
    writeFileSync(join(src, 'docs/a.md'), 'a, edited');
    rmSync(join(src, 'docs/old'), { recursive: true });
    mkdirSync(join(src, 'docs/new'));
    writeFileSync(join(src, 'docs/new/c.md'), 'c');
    renameSync(join(src, 'img'), join(src, 'images'));
    const options = resolveOptions({ source: src, destination: dst });
    const { summary } = await runSync(options, { paths: ['docs/a.md', 'docs/old', 'docs/new', 'img', 'images'] });
    assert.equal(summary.failed, 0);
    assert.equal(summary.moved, 1);
    assertMirror(src, dst);
  });

  it('do not look outside their scope, and a deleted path is not an empty source', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { only: 'o', elsewhere: 'e' });
    const dst = join(root, 'dst');
    await sync({ source: src, destination: dst });
    rmSync(join(src, 'only'));
    writeFileSync(join(src, 'elsewhere'), 'changed, but not reported');
    const { summary } = await runSync(resolveOptions({ source: src, destination: dst }), { paths: ['only'] });
    assert.equal(summary.deleted, 1);
    assert.equal(readFileSync(join(dst, 'elsewhere'), 'utf8'), 'e');
  });
});
