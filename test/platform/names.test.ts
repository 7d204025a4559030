/**
 * Names Windows cannot hold (device names, trailing dots and spaces, forbidden characters): on Windows each such
 * entry fails with its reason and nothing is written under it or under a name Windows would make of it (`a.` as `a`,
 * `ab:cd` as a stream of `ab`); the rest is mirrored. Elsewhere they are ordinary names and are mirrored.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tmp } from '../helpers/tree.js';
import { Readable } from 'node:stream';
import { absync, type Summary } from '../../src/index.js';
import { collect, vinyl } from '../gulp/streams.js';

const WINDOWS = process.platform === 'win32';
const BAD: Record<string, RegExp> = {
  'aux.txt': /device name AUX/,
  CON: /device name CON/,
  'com1.log': /device name COM1/,
  'a.': /ends in a dot/,
  'b ': /ends in a space/,
  'ab:cd': /":"/,
  'q<x': /"<"/,
};

describe('names Windows cannot hold', () => {
  it(WINDOWS ? 'fail one by one with the reason, and are never written under any name' : 'are ordinary names here, and mirrored', async () => {
    const root = tmp();
    const base = join(root, 'src');
    const dest = join(root, 'dst');
    const names = [...Object.keys(BAD), 'ok.txt', 'console.txt', 'auxiliary', 'a.b'];
    const files = names.map((n) => vinyl(base, n, Buffer.from(`bytes of ${n}`)));
    const plugin = absync(dest);
    let summary: Summary | undefined;
    plugin.on('summary', (x: Summary) => (summary = x));
    const error = await collect(Readable.from(files, { objectMode: true }).pipe(plugin)).then(() => undefined, (err: Error) => err);
    const written = readdirSync(dest).filter((n) => !n.startsWith('.absync')).sort();
    if (!WINDOWS) {
      assert.equal(error, undefined);
      assert.deepEqual(written, [...names].sort());
      return;
    }
    assert.ok(error, 'the stream reports the entries that failed');
    const failures = Object.fromEntries((summary?.failures ?? []).map((f) => [f.path, f.message]));
    for (const [name, why] of Object.entries(BAD)) assert.match(failures[name] ?? 'not failed', why, name);
    assert.equal(summary?.failures.length, Object.keys(BAD).length);
    // Names that only look like device names are fine.
    assert.deepEqual(written, ['a.b', 'auxiliary', 'console.txt', 'ok.txt']);
  });
});
