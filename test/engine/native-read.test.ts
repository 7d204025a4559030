/**
 * The native tree's batched reads (native/read.c, SourceTree.readWhole), which a remote first copy uses for small
 * files: a file's bytes count only when they are one whole version of the file the scan saw, read below the source
 * root without following a link; anything else is left to the one-file path, promptly (a FIFO never blocks).
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nativeAddon } from '../../src/engine/backends/local-native/addon.js';
import { NativeTree } from '../../src/engine/backends/local-native/native-tree.js';
import type { WholeRead } from '../../src/engine/backends/tree.js';
import type { FileEntry } from '../../src/engine/types.js';
import { makeCanary } from '../hostile/helpers/canary.js';
import { mkfifo } from '../hostile/helpers/disk.js';
import { whileRacing } from '../hostile/helpers/racer.js';
import { tmp } from '../helpers/tree.js';

const native = nativeAddon();

function entryOf(path: string): FileEntry {
  const st = lstatSync(path, { bigint: true });
  return { kind: 'file', size: Number(st.size), mtimeMs: Number(st.mtimeNs / 1000n) / 1000, mode: Number(st.mode), ino: Number(st.ino) };
}

/** Reads `names` of `parent` as the scan saw them (`entries`), each at its own offset; returns what came true and the buffer. */
async function readAll(tree: NativeTree, parent: string, entries: ReadonlyMap<string, FileEntry>, recentMs = 0): Promise<{ ok: Map<string, boolean>; bytes: Map<string, string> }> {
  const files: WholeRead[] = [];
  let offset = 0;
  for (const [name, source] of entries) {
    files.push({ name, source, offset });
    offset += source.size;
  }
  const into = Buffer.alloc(offset);
  const ok = await tree.readWhole(parent, files, into, recentMs);
  return {
    ok: new Map(files.map((f, i) => [f.name, ok[i] === true])),
    bytes: new Map(files.map((f) => [f.name, into.subarray(f.offset, f.offset + f.source.size).toString()])),
  };
}

describe('native batched reads (readWhole)', { skip: native ? false : 'the native addon is not built' }, () => {
  it('read files as scanned, and refuse each one that is not: rewritten, resized, replaced, a link, a FIFO, gone, just changed', { timeout: 20_000 }, async () => {
    const root = tmp();
    const d = join(root, 'd');
    mkdirSync(d);
    const names = ['same', 'rewritten', 'resized', 'replaced', 'link', 'fifo', 'gone', 'recent', 'chmod', 'empty'];
    for (const n of names) writeFileSync(join(d, n), n === 'empty' ? '' : `old ${n}\n`);
    for (const n of names) utimesSync(join(d, n), 1_600_000_000, 1_600_000_000);
    const entries = new Map(names.map((n) => [n, entryOf(join(d, n))]));
    // After the "scan": every way a file can stop being what it saw.
    writeFileSync(join(d, 'rewritten'), 'new rewritten\n');
    utimesSync(join(d, 'rewritten'), 1_600_000_000, 1_600_000_000);
    writeFileSync(join(d, 'resized'), 'longer than it was\n');
    writeFileSync(join(root, 'other'), 'old replaced\n');
    utimesSync(join(root, 'other'), 1_600_000_000, 1_600_000_000);
    renameSync(join(root, 'other'), join(d, 'replaced'));
    rmSync(join(d, 'link'));
    symlinkSync('same', join(d, 'link'));
    rmSync(join(d, 'fifo'));
    mkfifo(join(d, 'fifo'));
    rmSync(join(d, 'gone'));
    writeFileSync(join(d, 'recent'), 'old recent\n');
    utimesSync(join(d, 'recent'), 1_600_000_000, 1_600_000_000);
    const tree = new NativeTree(native!, root);
    try {
      const { ok, bytes } = await readAll(tree, 'd', entries);
      // 'rewritten' kept its size and mtime: what a quick check cannot tell apart, read whole as it is now.
      assert.deepEqual([...ok].filter(([, v]) => v).map(([k]) => k).sort(), ['chmod', 'empty', 'recent', 'rewritten', 'same']);
      assert.equal(bytes.get('same'), 'old same\n');
      assert.equal(bytes.get('rewritten'), 'new rewritten\n');
      // Changed (its ctime) within the window: it may still be being written.
      assert.deepEqual([...(await readAll(tree, 'd', new Map([['recent', entryOf(join(d, 'recent'))]]), 60_000)).ok.values()], [false]);
      // A mode changed since the scan: the record would carry the old one.
      const chmod = entryOf(join(d, 'chmod'));
      assert.deepEqual([...(await readAll(tree, 'd', new Map([['chmod', { ...chmod, mode: chmod.mode ^ 0o100 }]]))).ok.values()], [false]);
    } finally {
      await tree.close();
    }
  });

  it('batches of several folders asked at once go in one trip, each folder checked on its own: one gone, one a link, one not a folder', { timeout: 20_000 }, async () => {
    const root = tmp();
    const canary = makeCanary(tmp(), { f0: 'OUTSIDE 0\n', f1: 'OUTSIDE 1\n' });
    const outside = canary.dir;
    const folders = ['a', 'b/c', 'gone', 'lnk', 'file', 'e'];
    for (const f of ['a', 'b/c', 'gone', 'e']) {
      mkdirSync(join(root, f), { recursive: true });
      for (let i = 0; i < 2; i++) writeFileSync(join(root, f, `f${i}`), `${f} ${i}\n`);
    }
    const entries = new Map(['a', 'b/c', 'gone', 'e'].map((f) => [f, new Map([0, 1].map((i) => [`f${i}`, entryOf(join(root, f, `f${i}`))]))]));
    // What the scan saw of a folder now gone, a link to outside and a file where folders were.
    entries.set('lnk', new Map([0, 1].map((i) => [`f${i}`, entryOf(join(outside, `f${i}`))])));
    entries.set('file', new Map([0, 1].map((i) => [`f${i}`, entryOf(join(root, 'a', `f${i}`))])));
    rmSync(join(root, 'gone'), { recursive: true });
    symlinkSync(outside, join(root, 'lnk'));
    writeFileSync(join(root, 'file'), 'not a folder');
    const tree = new NativeTree(native!, root);
    try {
      const got = await Promise.all(folders.map((f) => readAll(tree, f, entries.get(f) as Map<string, FileEntry>)));
      const okOf = (f: string): boolean[] => [...(got[folders.indexOf(f)] as { ok: Map<string, boolean> }).ok.values()];
      for (const f of ['a', 'b/c', 'e']) {
        assert.deepEqual(okOf(f), [true, true], f);
        assert.deepEqual([...(got[folders.indexOf(f)] as { bytes: Map<string, string> }).bytes.values()], [`${f} 0\n`, `${f} 1\n`], f);
      }
      for (const f of ['gone', 'lnk', 'file']) assert.deepEqual(okOf(f), [false, false], f);
    } finally {
      await tree.close();
    }
    canary.assertUntouched('batched reads of several folders');
  });

  it('a trip whose buffers are not one per folder, or a file naming no batch, is refused before anything is read', async () => {
    const root = tmp();
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd', 'f'), 'x');
    const e = entryOf(join(root, 'd', 'f'));
    const nums = (batch: number): number[] => [e.ino, e.size, Math.round(e.mtimeMs * 1000), e.mode & 0o7777, 0, batch];
    const tree = new NativeTree(native!, root);
    try {
      const fd = tree.fd();
      assert.throws(() => native!.readFiles(fd, ['d'], ['f'], nums(0), [], 0), /readFiles\(rootfd, parents\[\]/);
      assert.throws(() => native!.readFiles(fd, ['d'], ['f'], nums(1), [Buffer.alloc(1)], 0), /readFiles: bad arguments/);
      const out = Buffer.alloc(1);
      const r = await native!.readFiles(fd, ['d'], ['f'], nums(0), [out], 0);
      assert.deepEqual([r.results[0] === native!.results.done, out.toString()], [true, 'x']);
    } finally {
      await tree.close();
    }
  });

  it('never read through a source folder swapped for a link to outside (renameat2 exchange in a tight loop)', { timeout: 60_000 }, async () => {
    const root = tmp();
    const src = join(root, 'src');
    const d = join(src, 'd');
    mkdirSync(d, { recursive: true });
    const outside = join(root, 'outside');
    const canary = makeCanary(outside, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, `OUTSIDE ${i}\n`])));
    for (let i = 0; i < 20; i++) writeFileSync(join(d, `f${i}`), `inside ${i}\n`);
    const entries = new Map(Array.from({ length: 20 }, (_, i) => [`f${i}`, entryOf(join(d, `f${i}`))]));
    symlinkSync(outside, join(src, 'lnk'));
    const tree = new NativeTree(native!, src);
    let read = 0;
    let refused = 0;
    try {
      await whileRacing(['swap', d, join(src, 'lnk')], async () => {
        for (let round = 0; round < 400; round++) {
          const { ok, bytes } = await readAll(tree, 'd', entries);
          for (const [name, good] of ok) {
            if (!good) {
              refused++;
              continue;
            }
            read++;
            assert.equal(bytes.get(name), `inside ${name.slice(1)}\n`, `${name}: only the inside file's bytes count`);
          }
        }
      });
    } finally {
      await tree.close();
    }
    canary.assertUntouched('batched reads during the swap loop');
    assert.ok(read > 0 && refused > 0, `the loop met both states (${read} read, ${refused} refused)`);
  });
});
