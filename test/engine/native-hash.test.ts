/** Native digests (native/hash.c) equal Node's, and an unreadable file gets none (the planner then copies it). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { computeDigests } from '../../src/engine/hash.js';
import { openSync, closeSync, constants } from 'node:fs';
import { nativeAddon } from '../../src/engine/backends/local-native/addon.js';
import { openTrees } from '../../src/engine/backends/choose.js';
import { scanTree } from '../../src/engine/backends/local-js/scan-tree.js';
import { tmp, writeTree } from '../helpers/tree.js';

const native = nativeAddon();

describe('native digests', { skip: native ? false : 'the native addon is not built' }, () => {
  it('equal node:crypto for md5, sha1 and sha256, empty and multi-chunk files included', async () => {
    const root = tmp();
    const big = Buffer.alloc(3 * (1 << 20) + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const src = writeTree(join(root, 'src'), { empty: '', small: 'hello', big });
    const names = ['empty', 'small', 'big'];
    const fd = openSync(src, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      for (const algorithm of ['md5', 'sha1', 'sha256']) {
        const want = names.map((f) => createHash(algorithm).update(readFileSync(join(src, f))).digest('hex'));
        assert.deepEqual(await native!.hash(fd, names, algorithm), want, algorithm);
        assert.deepEqual(await native!.hash(-1, names.map((n) => join(src, n)), algorithm), want, `${algorithm}, by absolute path`);
      }
    } finally {
      closeSync(fd);
    }
  });

  it('leave a file that cannot be read without a digest, through computeDigests as the planner uses it', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'same', b: 'other' });
    const dst = writeTree(join(root, 'dst'), { a: 'same', b: 'other' });
    chmodSync(join(dst, 'b'), 0o000);
    const s = scanTree(src, 'source');
    const d = scanTree(dst, 'destination');
    const needs = new Map([['a', { source: true, destination: true }], ['b', { source: true, destination: true }], ['gone', { source: true, destination: false }]]);
    const trees = openTrees({ source: src, destination: dst });
    const digests = await computeDigests(needs, { snapshot: s, tree: trees.source }, { snapshot: d, tree: trees.destination }, 'sha1');
    await trees.source.close();
    await trees.destination.close();
    const sha = (t: string): string => createHash('sha1').update(t).digest('hex');
    assert.deepEqual(digests.get('a'), { source: sha('same'), destination: sha('same') });
    assert.equal(digests.get('b')?.source, sha('other'));
    // As root the mode does not stop a read; as any other user it does, and then there is no digest.
    if (process.getuid?.() !== 0) assert.equal(digests.get('b')?.destination, undefined);
    assert.deepEqual(digests.get('gone'), {});
    assert.throws(() => native!.hash(-1, ['x'], 'no-such-digest'), /unknown algorithm/);
  });
});
