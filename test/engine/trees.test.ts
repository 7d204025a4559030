/**
 * The storage seam's contract, held by every local tree (native and JavaScript) through backends/tree.ts alone: the
 * same results for the same steps, nothing written through a link, nothing replaced that is not what was expected,
 * a backup tree with the same rules.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nativeAddon } from '../../src/engine/backends/local-native/addon.js';
import { NativeTree } from '../../src/engine/backends/local-native/native-tree.js';
import { JsTree } from '../../src/engine/backends/local-js/js-tree.js';
import type { DestinationTree, SourceTree, StepResult } from '../../src/engine/backends/tree.js';
import { isTempName } from '../../src/engine/reserved.js';
import type { FileEntry, Fingerprint } from '../../src/engine/types.js';
import { CLI } from '../helpers/cli.js';
import { NEEDS_FIFO, NEEDS_MODES, NEEDS_SYMLINKS } from '../helpers/platform.js';
import { MTIME_SLOP_US, readTree, tmp, writeTree } from '../helpers/tree.js';

const addon = nativeAddon();
type Make = (root: string, backup?: string) => SourceTree & DestinationTree;
const KINDS: [string, Make | undefined][] = [
  ['native', addon ? (root, backup) => new NativeTree(addon, root, backup ? { backup } : {}) : undefined],
  ['js', (root, backup) => new JsTree(root, backup ? { backup } : {})],
];

const statuses = (r: readonly StepResult[]): string[] => r.map((x) => (x.status === 'failed' ? `failed ${x.error?.code}` : x.status));

function fileEntry(path: string): FileEntry {
  const st = lstatSync(path, { bigint: true });
  return { kind: 'file', size: Number(st.size), mtimeMs: Number(st.mtimeNs / 1000n) / 1000, mode: Number(st.mode & 0o7777n), ino: Number(st.ino) };
}

function fingerprint(path: string): Fingerprint {
  const e = fileEntry(path);
  return { kind: 'file', size: e.size, mtimeMs: e.mtimeMs, ino: e.ino };
}

for (const [kind, make] of KINDS) {
  describe(`${kind} tree`, { skip: make ? false : 'the native addon is not built' }, () => {
    const open = make as Make;

    it('writes files with the source mode and mtime as read, and never writes through a symlinked folder', { skip: NEEDS_SYMLINKS || NEEDS_MODES }, async () => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { 'real/f': 'data', 'real/g': 'more', 'link/f': 'x' });
      execFileSync('touch', ['-d', '@1700000000.123456789', join(src, 'real/f')]);
      chmodSync(join(src, 'real/f'), 0o4755);
      const dst = join(root, 'dst');
      const outside = join(root, 'outside');
      mkdirSync(join(dst, 'real'), { recursive: true });
      mkdirSync(outside);
      symlinkSync(outside, join(dst, 'link'));
      const source = open(src);
      const dest = open(dst);
      const item = (name: string, parent: string) => ({ name, content: { type: 'tree' as const, path: `${parent}/${name}` }, source: fileEntry(join(src, parent, name)) });
      assert.deepEqual(statuses(await dest.writeFiles('real', [item('f', 'real'), item('g', 'real')], source)), ['done', 'done']);
      assert.deepEqual(statuses(await dest.writeFiles('link', [item('f', 'link')], source)), ['failed EUNSAFE']);
      assert.deepEqual(readdirSync(outside), []);
      const st = lstatSync(join(dst, 'real/f'), { bigint: true });
      assert.equal(Number(st.mode & 0o7777n), 0o4755);
      assert.equal(st.mtimeNs, 1_700_000_000_123_456_000n);
      // A new file goes only where nothing is: something that appeared since the scan is left alone.
      writeFileSync(join(dst, 'real/h'), 'theirs');
      const h = { name: 'h', content: { type: 'bytes' as const, data: Buffer.from('ours') }, source: { ...fileEntry(join(src, 'real/g')), size: 4 } };
      assert.deepEqual(statuses(await dest.writeFiles('real', [h], source)), ['changed-since-scan']);
      assert.equal(readFileSync(join(dst, 'real/h'), 'utf8'), 'theirs');
      assert.deepEqual(readdirSync(join(dst, 'real')).filter(isTempName), [], 'no temporary left behind');
      await source.close();
      await dest.close();
    });

    it('an update replaces only the file the scan saw, and moves it to the backup tree', async () => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { a: 'new a', b: 'new b' });
      const dst = writeTree(join(root, 'dst'), { a: 'old a', b: 'old b' });
      const bak = join(dst, '.bak');
      const source = open(src);
      const dest = open(dst, bak);
      const seenA = fingerprint(join(dst, 'a'));
      const seenB = fingerprint(join(dst, 'b'));
      writeFileSync(join(dst, 'b'), 'changed by someone');
      const items = ['a', 'b'].map((n, i) => ({ name: n, content: { type: 'tree' as const, path: n }, source: fileEntry(join(src, n)), replace: i === 0 ? seenA : seenB }));
      assert.deepEqual(statuses(await dest.writeFiles('', items, source)), ['done', 'changed-since-scan']);
      assert.equal(readFileSync(join(dst, 'a'), 'utf8'), 'new a');
      assert.equal(readFileSync(join(dst, 'b'), 'utf8'), 'changed by someone');
      assert.equal(readFileSync(join(bak, 'a'), 'utf8'), 'old a');
      assert.deepEqual(readdirSync(dst).filter(isTempName), []);
      await source.close();
      await dest.close();
    });

    it('the backup tree never follows a link: a link inside it is not written through', { skip: NEEDS_SYMLINKS }, async () => {
      const root = tmp();
      const dst = writeTree(join(root, 'dst'), { 'sub/victim.txt': 'mine' });
      const outside = writeTree(join(root, 'outside'), { 'victim.txt': 'outside' });
      mkdirSync(join(dst, '.bak'));
      symlinkSync(outside, join(dst, '.bak/sub'));
      const dest = open(dst, join(dst, '.bak'));
      const r = await dest.remove('sub', [{ name: 'victim.txt', expect: fingerprint(join(dst, 'sub/victim.txt')) }]);
      assert.equal(r[0]?.status, 'failed');
      assert.equal(readFileSync(join(outside, 'victim.txt'), 'utf8'), 'outside');
      assert.equal(readFileSync(join(dst, 'sub/victim.txt'), 'utf8'), 'mine', 'not deleted when it cannot be backed up');
      await dest.close();
    });

    it('deletes only what is still as scanned, folders only once empty, never through a link', { skip: NEEDS_SYMLINKS }, async () => {
      const root = tmp();
      const dst = writeTree(join(root, 'dst'), { 'd/f': 'x', 'd/g': 'y', e: { dir: true }, 'full/x': 'z' });
      const outside = writeTree(join(root, 'outside'), { f: 'outside' });
      symlinkSync(outside, join(dst, 'l'));
      const dest = open(dst);
      const seenF = fingerprint(join(dst, 'd/f'));
      const seenG = fingerprint(join(dst, 'd/g'));
      writeFileSync(join(dst, 'd/g'), 'rewritten');
      const dirFp = (p: string): Fingerprint => ({ kind: 'dir', ino: Number(lstatSync(join(dst, p)).ino) });
      assert.deepEqual(statuses(await dest.remove('d', [{ name: 'f', expect: seenF }, { name: 'g', expect: seenG }, { name: 'nope', expect: seenF }])), ['done', 'changed-since-scan', 'vanished']);
      assert.deepEqual(statuses(await dest.remove('', [{ name: 'e', expect: dirFp('e') }, { name: 'full', expect: dirFp('full') }])), ['done', 'changed-since-scan']);
      assert.deepEqual(statuses(await dest.remove('l', [{ name: 'f', expect: seenF }])), ['failed EUNSAFE']);
      assert.equal(readFileSync(join(outside, 'f'), 'utf8'), 'outside');
      await dest.close();
    });

    it('attributes: set on the entry itself, never on a link target; the root is parent "" name ""', { skip: NEEDS_SYMLINKS || NEEDS_MODES }, async () => {
      const root = tmp();
      const dst = writeTree(join(root, 'dst'), { 'p/file': 'x', 'p/d': { dir: true } });
      const outside = writeTree(join(root, 'outside'), { t: 't' });
      chmodSync(join(outside, 't'), 0o600);
      symlinkSync(join(outside, 't'), join(dst, 'p/link'));
      const dest = open(dst);
      const r = await dest.setAttrs('p', [
        { name: 'file', kind: 'file', mode: 0o640, mtimeMs: 1_600_000_000_123.456 },
        { name: 'd', kind: 'dir', mode: 0o2750, mtimeMs: 5 },
        // Planned as a file, but it is a link now: its target is never chmod-ed.
        { name: 'link', kind: 'file', mode: 0o644 },
        { name: 'gone', kind: 'file', mode: 0o644 },
      ]);
      assert.deepEqual(statuses(r), ['done', 'done', 'changed-since-scan', 'vanished']);
      assert.equal(statSync(join(outside, 't')).mode & 0o777, 0o600);
      assert.equal(lstatSync(join(dst, 'p/file'), { bigint: true }).mtimeNs, 1_600_000_000_123_456_000n);
      assert.equal(statSync(join(dst, 'p/d')).mode & 0o7777, 0o2750);
      assert.deepEqual(statuses(await dest.setAttrs('', [{ name: '', kind: 'dir', mtimeMs: 1_500_000_000_000 }])), ['done']);
      assert.equal(statSync(dst).mtimeMs, 1_500_000_000_000);
      await dest.close();
    });

    it('links and renames: made at temporary names, put in place only over what is expected', { skip: NEEDS_SYMLINKS }, async () => {
      const root = tmp();
      const dst = writeTree(join(root, 'dst'), { old: { link: 'x' }, 'a/f': 'f', 'b/f': 'other' });
      const dest = open(dst);
      const oldFp: Fingerprint = { kind: 'symlink', ino: Number(lstatSync(join(dst, 'old')).ino) };
      assert.deepEqual(statuses(await dest.symlinks('', [{ name: 'new', target: 't1', mtimeMs: 5000 }, { name: 'old', target: 't2', mtimeMs: 6000, replace: oldFp }])), ['done', 'done']);
      assert.equal(readlinkSync(join(dst, 'new')), 't1');
      assert.equal(readlinkSync(join(dst, 'old')), 't2');
      assert.equal(lstatSync(join(dst, 'old')).mtimeMs, 6000);
      const fa = fingerprint(join(dst, 'a/f'));
      // A rename never replaces what it does not expect.
      assert.deepEqual(statuses(await dest.rename([{ from: 'a/f', to: 'b/f', expect: fa }])), ['changed-since-scan']);
      assert.deepEqual(statuses(await dest.rename([{ from: 'a/f', to: 'b/f', expect: fa, replace: fingerprint(join(dst, 'b/f')) }])), ['done']);
      assert.equal(readFileSync(join(dst, 'b/f'), 'utf8'), 'f');
      assert.ok(!readdirSync(join(dst, 'a')).length);
      await dest.close();
    });

    it('open and hash read regular files only: a FIFO never blocks, a link is never followed', { skip: NEEDS_FIFO || NEEDS_SYMLINKS }, async () => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { f: 'hello', l: { link: 'f' } });
      execFileSync('mkfifo', [join(src, 'fifo')]);
      const source = open(src);
      assert.equal(await source.open('fifo'), 'vanished');
      assert.equal(await source.open('l'), 'vanished');
      const f = await source.open('f');
      assert.ok(f !== 'vanished');
      const buf = Buffer.alloc(5);
      assert.equal(await f.read(buf, 0, 5, 0), 5);
      assert.equal(buf.toString(), 'hello');
      assert.equal(await f.unchanged(), true);
      await f.close();
      const [hf, hfifo, hl] = await source.hash(['f', 'fifo', 'l'], 'sha1');
      assert.equal(hf, 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d');
      assert.equal(hfifo, undefined);
      assert.equal(hl, undefined);
      await source.close();
    });

    it('the lock: exclusive, refuses anything that is not a lock file at once, and a refused run leaves the root as found', async () => {
      const root = tmp();
      const dst = writeTree(join(root, 'dst'), { f: 'x' });
      const dest = open(dst);
      const lock = await dest.lock(0, true);
      await assert.rejects(open(dst).lock(0, true), { code: 'E_LOCKED' });
      await lock.release();
      const before = lstatSync(dst, { bigint: true }).mtimeNs;
      const again = await dest.lock(0, true);
      await again.release({ refused: true });
      const unit = addon && kind === 'native' ? 1n : 1000n;
      const off = lstatSync(dst, { bigint: true }).mtimeNs / unit - before / unit;
      assert.ok(off >= -BigInt(MTIME_SLOP_US) && off <= BigInt(MTIME_SLOP_US), `root mtime put back (off by ${off})`);
      const missing = join(root, 'new/deeper/dst');
      const made = await open(missing).lock(0, true);
      await made.release({ refused: true });
      assert.deepEqual(readdirSync(root), ['dst'], 'a refused run removes the folders it made');
      await dest.close();
    });

    it('the lock: a FIFO at its name refuses the run at once, never opened', { skip: NEEDS_FIFO }, async () => {
      const dst = writeTree(join(tmp(), 'dst'), { f: 'x' });
      const dest = open(dst);
      execFileSync('mkfifo', [join(dst, '.absync.lock')]);
      await assert.rejects(dest.lock(5000, true), (err: Error & { code?: string }) => err.code === 'E_LOCKED' && /FIFO/.test(err.message));
      await dest.close();
    });
  });
}

describe('both trees', () => {
  it('leave the same mirror as the CLI with either engine (modes, mtimes, umask 077 included)', { skip: addon ? false : 'the native addon is not built' }, () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { empty: '', one: 'x', 'sub/big': Buffer.alloc(3 << 20, 9), 'sub/mid': Buffer.alloc(70_000, 3), l: { link: 'one' } });
    for (const [name, mode] of Object.entries({ m777: 0o777, m600: 0o600, suid: 0o4755, sgid: 0o2750, sticky: 0o1644, none: 0o000 })) {
      writeFileSync(join(src, name), name);
      chmodSync(join(src, name), mode);
    }
    execFileSync('touch', ['-d', '@1700000000.123456789', join(src, 'one')]);
    const umask = process.umask(0o077);
    try {
      execFileSync(process.execPath, [CLI, src, join(root, 'native'), '--quiet']);
      execFileSync(process.execPath, [CLI, src, join(root, 'js'), '--quiet'], { env: { ...process.env, ABSYNC_NO_NATIVE: '1' } });
    } finally {
      process.umask(umask);
    }
    assert.deepEqual(readTree(join(root, 'native')), readTree(src));
    assert.deepEqual(readTree(join(root, 'js')), readTree(src));
  });
});
