/** RecordSlabs (the buffers of batched write records): a slab is used again only once every batch in it is let go. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordSlabs, type SlabBuffer } from '../../src/engine/backends/sftp/record-slabs.js';

const overlaps = (a: Buffer, b: Buffer): boolean =>
  a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;

describe('record slabs', () => {
  it('never hands out bytes that a live batch holds, and uses a slab again once all of its batches are let go', () => {
    const slabs = new RecordSlabs();
    const live: SlabBuffer[] = [];
    const seen = new Set<ArrayBufferLike>();
    // Random sizes, taken and let go in random order: no two live buffers ever share a byte.
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 5000; round++) {
      if (live.length > 0 && (rand(3) === 0 || live.length > 60)) {
        const [gone] = live.splice(rand(live.length), 1);
        gone?.release();
        gone?.release();
        continue;
      }
      const b = slabs.take(1 + rand(300 << 10));
      b.buf.fill(round & 0xff);
      for (const other of live) assert.equal(overlaps(b.buf, other.buf), false, `round ${round}`);
      live.push(b);
      seen.add(b.buf.buffer);
    }
    // 5,000 buffers of up to 300 KiB from far fewer slabs than they would fill fresh.
    assert.ok(seen.size < 200, `${seen.size} slabs`);
  });

  it('a batch bigger than half a slab gets a buffer of its own', () => {
    const slabs = new RecordSlabs();
    const small = slabs.take(1000);
    const big = slabs.take(900 << 10);
    assert.notEqual(big.buf.buffer, small.buf.buffer);
    assert.equal(big.buf.length, 900 << 10);
  });
});
