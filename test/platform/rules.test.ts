/**
 * The platform rules as functions, for what this machine's disks cannot show: the mtime grids a probe can meet (FAT's
 * 2 s, exFAT's 10 ms, HFS+'s 1 s; truncated or rounded), Windows names, the transient-error retry, macOS name keys
 * and Windows link types. (No FAT or exFAT can be mounted here: the kernel has neither.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mtimeRulesFor } from '../../src/engine/backends/local/caps-probe.js';
import { linkTypeFor } from '../../src/engine/backends/local-js/js-links.js';
import { scanTree } from '../../src/engine/backends/local-js/scan-tree.js';
import { retryTransient } from '../../src/engine/backends/local-js/transient.js';
import { windowsNameProblem } from '../../src/engine/backends/local-js/win-names.js';
import { tmp } from '../helpers/tree.js';

const ODD = 1_000_000_001_234_567;
const EVEN = 1_000_000_002_234_567;

describe('platform rules', () => {
  it('the probe tells each mtime grid from what was kept of an odd and an even second', () => {
    const cases: [string, [number, number], number, { mtimeStepUs: number; mtimeSlopUs: number }][] = [
      ['exact (ext4, NTFS through Linux)', [ODD, EVEN], 0, { mtimeStepUs: 1, mtimeSlopUs: 0 }],
      ['Windows libuv, 1 us off', [ODD + 1, EVEN], 1, { mtimeStepUs: 1, mtimeSlopUs: 1 }],
      ['exFAT, 10 ms truncated', [1_000_000_001_230_000, 1_000_000_002_230_000], 0, { mtimeStepUs: 10_000, mtimeSlopUs: 0 }],
      ['HFS+, 1 s truncated', [1_000_000_001_000_000, 1_000_000_002_000_000], 0, { mtimeStepUs: 1_000_000, mtimeSlopUs: 0 }],
      ['1 s rounded up (some SMB servers)', [1_000_000_002_000_000, 1_000_000_003_000_000], 0, { mtimeStepUs: 1_000_000, mtimeSlopUs: 1_000_000 }],
      ['FAT, 2 s truncated (Linux vfat)', [1_000_000_000_000_000, 1_000_000_002_000_000], 0, { mtimeStepUs: 2_000_000, mtimeSlopUs: 0 }],
      ['FAT, 2 s rounded up (Windows)', [1_000_000_002_000_000, 1_000_000_004_000_000], 0, { mtimeStepUs: 2_000_000, mtimeSlopUs: 2_000_000 }],
      ['unexplained: the distance measured', [ODD + 37, EVEN + 12], 0, { mtimeStepUs: 1, mtimeSlopUs: 37 }],
    ];
    for (const [what, [odd, even], slop, want] of cases) assert.deepEqual(mtimeRulesFor([[ODD, odd], [EVEN, even]], slop), want, what);
  });

  it('Windows names: devices, trailing dots and spaces, forbidden characters; look-alikes pass', () => {
    for (const bad of ['CON', 'con', 'aux.txt', 'Nul.tar.gz', 'COM1', 'lpt9.log', 'com\u00b9', 'con .txt', 'CONIN$', 'a.', 'b ', 'a:b', 'q?', 'x*y', 'p|q', 'l<r', 'g>t', 'say"hi"', 'tab\there', 'back\\slash']) {
      assert.ok(windowsNameProblem(bad), bad);
    }
    for (const good of ['console.txt', 'auxiliary', 'com10', 'lpt', 'nul_', '.hidden', 'a.b', 'é', '...x', 'con-fig']) assert.equal(windowsNameProblem(good), undefined, good);
  });

  it('transient errors are retried within the backoff, others at once', async () => {
    let calls = 0;
    const flaky = async (): Promise<string> => {
      if (++calls < 3) throw Object.assign(new Error('busy'), { code: 'EBUSY' });
      return 'done';
    };
    assert.equal(await retryTransient(flaky, [1, 1, 1]), 'done');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(retryTransient(flaky, [1]), { code: 'EBUSY' });
    assert.equal(calls, 2, 'one retry, then reported');
    calls = 0;
    const missing = async (): Promise<never> => {
      calls++;
      throw Object.assign(new Error('gone'), { code: 'ENOENT' });
    };
    await assert.rejects(retryTransient(missing, [1, 1]), { code: 'ENOENT' });
    assert.equal(calls, 1);
  });

  it('macOS keys names by NFC: an NFD name matches its NFC twin, and a folder holding both keeps one', { skip: process.platform === 'darwin' || process.platform === 'win32' ? 'needs a file system that keeps both normal forms apart' : false }, () => {
    const root = tmp();
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    mkdirSync(join(root, 'both'));
    writeFileSync(join(root, 'both', nfc), 'c');
    writeFileSync(join(root, 'both', nfd), 'd');
    const plain = scanTree(root, 'source', undefined, undefined, { nfc: false });
    assert.deepEqual([...plain.entries.keys()].sort(), ['both', `both/${nfc}`, `both/${nfd}`].sort());
    const keyed = scanTree(root, 'source', undefined, undefined, { nfc: true });
    assert.deepEqual([...keyed.entries.keys()].sort(), ['both', `both/${nfc}`]);
    assert.equal(keyed.warnings?.length, 1);
    assert.match(keyed.warnings?.[0]?.message ?? '', /only in Unicode normalization/);
  });

  it('Windows link types: a link to a folder is a dir link, anything else a file link', async () => {
    const root = tmp();
    mkdirSync(join(root, 'folder'));
    writeFileSync(join(root, 'file'), 'f');
    assert.equal(await linkTypeFor(root, 'folder'), 'dir');
    assert.equal(await linkTypeFor(root, join(root, 'folder')), 'dir');
    assert.equal(await linkTypeFor(root, 'file'), 'file');
    assert.equal(await linkTypeFor(root, 'missing'), 'file');
  });
});
