/**
 * File writes through the connection's perl helper (write-helper.ts), against a real OpenSSH server: what they write,
 * what they refuse to replace, and that a folder swapped for a link, once or in a tight loop, is never written
 * through.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { StepResult, WriteItem } from '../../src/engine/backends/tree.js';
import type { FileEntry } from '../../src/engine/types.js';
import { nativeAddon } from '../../src/engine/backends/local-native/addon.js';
import { isTempName, LOCK_NAME } from '../../src/engine/index.js';
import { lockScript } from '../../src/engine/backends/sftp/remote-lock.js';
import { canarySpec, makeCanary } from '../hostile/helpers/canary.js';
import { racerBinary, whileRacing } from '../hostile/helpers/racer.js';
import { startDelayProxy } from '../../bench/delay-proxy.js';
import { fileEntry, localTree, MTIME, openTree, skipReason, usOf, useServer, withHelper } from '../helpers/remote.js';
import { sessionProcesses, type SshServer } from '../helpers/sshd.js';
import { tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

function tempsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => isTempName(p.split('/').pop() as string));
}

describe('remote writes through perl', { skip: skipReason }, () => {
  const server = useServer();
  const tight = useServer({ maxSessions: 3 });

  it('new files from the tree, a local file and bytes, with mode and microsecond mtime; a big file streams; no temporary left', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const src = writeTree(tmp(), { 'a.txt': { data: 'from the tree', mode: 0o640, mtime: MTIME / 1000 }, 'big.bin': { data: big.toString('latin1'), mode: 0o600, mtime: MTIME / 1000 } });
    writeFileSync(join(src, 'big.bin'), big);
    utimesSync(join(src, 'big.bin'), 1, MTIME / 1000);
    const outside = join(tmp(), 'spooled');
    writeFileSync(outside, 'from a local file');
    utimesSync(outside, 1, MTIME / 1000);
    const dst = writeTree(tmp(), { 'sub/keep': 'k' });
    const from = localTree(src);
    await withHelper(server(), dst, async (tree) => {
      const results = await tree.writeFiles('sub', [
        { name: 'a.txt', content: { type: 'tree', path: 'a.txt' }, source: fileEntry(13) },
        { name: 'b.txt', content: { type: 'file', path: outside }, source: fileEntry(17), mode: 0o600 },
        { name: 'c.bin', content: { type: 'bytes', data: new Uint8Array([1, 2, 3]) }, source: fileEntry(3, MTIME, 0o644) },
        { name: 'empty', content: { type: 'bytes', data: new Uint8Array(0) }, source: fileEntry(0, MTIME, 0o604) },
        { name: 'big.bin', content: { type: 'tree', path: 'big.bin' }, source: fileEntry(big.length, MTIME, 0o600) },
        { name: 'gone.txt', content: { type: 'tree', path: 'no-such' }, source: fileEntry(1) },
      ], from);
      assert.deepEqual(results.map((r) => r.status), ['done', 'done', 'done', 'done', 'done', 'vanished']);
      assert.deepEqual(results.map((r) => r.bytes), [13, 17, 3, 0, big.length, undefined]);
      assert.deepEqual(tree.written, { helper: 6, sftp: 0 });
    });
    await from.close();
    assert.equal(readFileSync(join(dst, 'sub/a.txt'), 'utf8'), 'from the tree');
    assert.equal(readFileSync(join(dst, 'sub/b.txt'), 'utf8'), 'from a local file');
    assert.deepEqual([...readFileSync(join(dst, 'sub/c.bin'))], [1, 2, 3]);
    assert.ok(readFileSync(join(dst, 'sub/big.bin')).equals(big));
    assert.equal(statSync(join(dst, 'sub/empty')).size, 0);
    for (const [f, mode] of [['a.txt', 0o640], ['b.txt', 0o600], ['c.bin', 0o644], ['empty', 0o604], ['big.bin', 0o600]] as const) {
      assert.equal(statSync(join(dst, 'sub', f)).mode & 0o7777, mode, f);
      assert.equal(usOf(join(dst, 'sub', f)), 1_650_000_000_123_456n, f);
    }
    assert.deepEqual(readdirSync(join(dst, 'sub')).sort(), ['a.txt', 'b.txt', 'big.bin', 'c.bin', 'empty', 'keep']);
  });

  it('small files of a folder go in batches read in one trip each; one not as the scan saw it goes the one-file way (settled, replaced, a FIFO, a link)', { timeout: 30_000 }, async () => {
    const src = tmp();
    mkdirSync(join(src, 'd'));
    const names = Array.from({ length: 300 }, (_, i) => `f${String(i).padStart(3, '0')}`);
    for (const [i, n] of names.entries()) {
      writeFileSync(join(src, 'd', n), `file ${n} `.repeat(1 + (i % 40)), { mode: i % 3 === 0 ? 0o755 : 0o640 });
      utimesSync(join(src, 'd', n), 1, MTIME / 1000);
    }
    const seen = (n: string): FileEntry => {
      const st = lstatSync(join(src, 'd', n));
      return { kind: 'file', size: st.size, mtimeMs: MTIME, mode: st.mode, ino: st.ino };
    };
    const entries = new Map(names.map((n) => [n, seen(n)]));
    // Since the "scan": one rewritten (another size), one replaced by another file, one a FIFO, one a link.
    writeFileSync(join(src, 'd', 'f010'), 'rewritten since the scan');
    utimesSync(join(src, 'd', 'f010'), 1, MTIME / 1000);
    writeFileSync(join(src, 'other'), 'file f020 ');
    utimesSync(join(src, 'other'), 1, MTIME / 1000);
    renameSync(join(src, 'other'), join(src, 'd', 'f020'));
    rmSync(join(src, 'd', 'f030'));
    spawnSync('mkfifo', [join(src, 'd', 'f030')]);
    rmSync(join(src, 'd', 'f040'));
    symlinkSync('f000', join(src, 'd', 'f040'));
    const dst = tmp();
    mkdirSync(join(dst, 'd'));
    const from = localTree(src);
    await withHelper(server(), dst, async (tree) => {
      const results = await tree.writeFiles('d', names.map((n) => ({ name: n, content: { type: 'tree' as const, path: `d/${n}` }, source: entries.get(n) as FileEntry })), from);
      const status = new Map(names.map((n, i) => [n, results[i]?.status]));
      assert.deepEqual([...status].filter(([, v]) => v !== 'done'), [['f020', 'vanished'], ['f030', 'vanished'], ['f040', 'vanished']]);
      assert.deepEqual(tree.written, { helper: 300, sftp: 0 });
      // With the native addon all but those four went in batches (the rewritten one the one-file way after its batch
      // refused it); the JavaScript tree reads one file at a time.
      assert.equal(tree.batchedReads, nativeAddon() ? 296 : 0);
    }).finally(() => from.close());
    for (const n of names) {
      if (['f020', 'f030', 'f040'].includes(n)) {
        assert.equal(existsSync(join(dst, 'd', n)), false, n);
        continue;
      }
      assert.ok(readFileSync(join(dst, 'd', n)).equals(readFileSync(join(src, 'd', n))), n);
      assert.equal(statSync(join(dst, 'd', n)).mode & 0o7777, statSync(join(src, 'd', n)).mode & 0o7777, n);
      assert.equal(usOf(join(dst, 'd', n)), 1_650_000_000_123_456n, n);
    }
    assert.equal(readFileSync(join(dst, 'd', 'f010'), 'utf8'), 'rewritten since the scan');
    assert.deepEqual(tempsUnder(dst), []);
  });

  it('every mode bit lands, batched or one file at a time: group- and world-writable, set-id, sticky, none at all', { timeout: 30_000 }, async () => {
    const modes = [0o644, 0o755, 0o664, 0o775, 0o666, 0o777, 0o4755, 0o2750, 0o1777, 0o600, 0o400, 0o200, 0o000];
    const src = tmp();
    mkdirSync(join(src, 'd'));
    const names = modes.map((m) => `m${m.toString(8).padStart(4, '0')}`);
    for (const n of names) {
      writeFileSync(join(src, 'd', n), `mode ${n}`);
      utimesSync(join(src, 'd', n), 1, MTIME / 1000);
    }
    const dst = tmp();
    mkdirSync(join(dst, 'd'));
    const from = localTree(src);
    await withHelper(server(), dst, async (tree) => {
      // The same files from the tree (batched reads where the addon is) and as bytes (one record each).
      const items = names.flatMap((n, i): WriteItem[] => [
        { name: n, content: { type: 'tree', path: `d/${n}` }, source: { ...fileEntry(n.length + 5, MTIME, modes[i] as number), ino: lstatSync(join(src, 'd', n)).ino, mode: lstatSync(join(src, 'd', n)).mode }, mode: modes[i] as number },
        { name: `${n}.b`, content: { type: 'bytes', data: Buffer.from(`mode ${n}`) }, source: fileEntry(n.length + 5, MTIME, modes[i] as number) },
      ]);
      const results = await tree.writeFiles('d', items, from);
      assert.deepEqual(results.map((r) => r.status), items.map(() => 'done'));
      assert.deepEqual(tree.written, { helper: items.length, sftp: 0 });
    }).finally(() => from.close());
    for (const [i, n] of names.entries()) {
      for (const f of [n, `${n}.b`]) {
        assert.equal((statSync(join(dst, 'd', f)).mode & 0o7777).toString(8), (modes[i] as number).toString(8), f);
        assert.equal(readFileSync(join(dst, 'd', f), 'utf8'), `mode ${n}`, f);
        assert.equal(usOf(join(dst, 'd', f)), 1_650_000_000_123_456n, f);
      }
    }
    assert.deepEqual(tempsUnder(dst), []);
  });

  it('a plan of many bytes to a far server (10 ms RTT) writes through two helpers from the start: folders, files and attributes shared, every answer right', { timeout: 60_000 }, async () => {
    const src = tmp();
    const tops = Array.from({ length: 12 }, (_, i) => `t${i}`);
    for (const t of tops) {
      for (const sub of ['x', 'y']) {
        mkdirSync(join(src, t, sub), { recursive: true });
        for (let k = 0; k < 4; k++) writeFileSync(join(src, t, sub, `f${k}`), `${t}/${sub}/f${k} `.repeat(50 + k));
      }
    }
    const dst = tmp();
    const from = localTree(src);
    const entry = (rel: string): FileEntry => {
      const st = lstatSync(join(src, rel));
      return { kind: 'file', size: st.size, mtimeMs: MTIME, mode: st.mode, ino: st.ino };
    };
    const srv = server();
    const proxy = await startDelayProxy(srv.port, 5);
    const knownHosts = join(tmp(), 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${srv.hostKey}\n`);
    const tree = await openTree(srv, dst, { sshPort: proxy.port, knownHosts });
    await tree.startHelper();
    await (async () => {
      assert.ok((tree.roundTrip ?? 0) >= 8, `a far server: ${tree.roundTrip} ms`);
      tree.willWrite(64 << 20);
      await until(() => tree.helperAnswers.length === 2, 'the second helper running', 20_000);
      const before = tree.helperAnswers;
      const all = <T>(calls: Promise<T[]>[]): Promise<T[]> => Promise.all(calls).then((r) => r.flat());
      const made = await all(tops.map((t) => tree.makeDirs('', [{ name: t }])));
      const madeSubs = await all(tops.map((t) => tree.makeDirs(t, [{ name: 'x' }, { name: 'y' }])));
      const afterDirs = tree.helperAnswers;
      const wrote = await all(tops.flatMap((t) => ['x', 'y'].map((sub) => tree.writeFiles(`${t}/${sub}`, [0, 1, 2, 3].map((k) => ({
        name: `f${k}`, content: { type: 'tree' as const, path: `${t}/${sub}/f${k}` }, source: entry(`${t}/${sub}/f${k}`),
      })), from))));
      const attrs = await all(tops.map((t) => tree.setAttrs(t, [{ name: 'x', kind: 'dir', mode: 0o750, mtimeMs: MTIME }, { name: 'y', kind: 'dir', mode: 0o705, mtimeMs: MTIME }])));
      for (const r of [...made, ...madeSubs, ...wrote, ...attrs]) assert.equal(r.status, 'done', JSON.stringify(r));
      assert.deepEqual(tree.written, { helper: wrote.length, sftp: 0 });
      // Both made folders (calls of one depth start in one tick), and both answered more since.
      assert.ok(afterDirs.every((n, i) => n > (before[i] as number)), `folders made by both helpers: ${before} -> ${afterDirs}`);
      assert.ok(tree.helperAnswers.every((n, i) => n > (afterDirs[i] as number)), `files and attributes through both: ${afterDirs} -> ${tree.helperAnswers}`);
    })().finally(async () => {
      await from.close();
      await tree.close();
      await proxy.close();
    });
    for (const t of tops) {
      for (const [sub, mode] of [['x', 0o750], ['y', 0o705]] as const) {
        assert.equal(statSync(join(dst, t, sub)).mode & 0o7777, mode, `${t}/${sub}`);
        assert.equal(usOf(join(dst, t, sub)), 1_650_000_000_123_456n, `${t}/${sub}`);
        for (let k = 0; k < 4; k++) assert.ok(readFileSync(join(dst, t, sub, `f${k}`)).equals(readFileSync(join(src, t, sub, `f${k}`))), `${t}/${sub}/f${k}`);
      }
    }
    assert.deepEqual(tempsUnder(dst), []);
  });

  it('a far server that allows no channel for a second writer (MaxSessions 3: two SFTP channels and the helper): every write done, through the one helper', { timeout: 60_000 }, async () => {
    const src = tmp();
    for (let k = 0; k < 40; k++) writeFileSync(join(src, `f${k}`), `file ${k} `.repeat(100 + k));
    const dst = tmp();
    const from = localTree(src);
    const srv = tight();
    const proxy = await startDelayProxy(srv.port, 5);
    const knownHosts = join(tmp(), 'known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${srv.hostKey}\n`);
    const tree = await openTree(srv, dst, { sshPort: proxy.port, knownHosts });
    try {
      assert.equal(await tree.startHelper(), true);
      assert.ok((tree.roundTrip ?? 0) >= 8, `a far server: ${tree.roundTrip} ms`);
      // The second writer's channel is refused at once; the writes that follow must not wait for it, nor fail.
      tree.willWrite(64 << 20);
      const wrote = await tree.writeFiles('', Array.from({ length: 40 }, (_, k) => {
        const st = lstatSync(join(src, `f${k}`));
        return { name: `f${k}`, content: { type: 'tree' as const, path: `f${k}` }, source: { kind: 'file' as const, size: st.size, mtimeMs: MTIME, mode: st.mode, ino: st.ino } };
      }), from);
      assert.deepEqual(wrote.map((r) => r.status), wrote.map(() => 'done'), JSON.stringify(wrote.filter((r) => r.status !== 'done')));
      assert.equal(tree.helperAnswers.length, 1);
    } finally {
      await from.close();
      await tree.close();
      await proxy.close();
    }
    for (let k = 0; k < 40; k++) assert.ok(readFileSync(join(dst, `f${k}`)).equals(readFileSync(join(src, `f${k}`))), `f${k}`);
    assert.deepEqual(tempsUnder(dst), []);
  });

  it('a plan of many bytes to a near server (loopback) writes through one helper: a second would cost a login and a process for nothing', { timeout: 30_000 }, async () => {
    const src = writeTree(tmp(), { 'a/f': 'a file' });
    const dst = tmp();
    const from = localTree(src);
    await withHelper(server(), dst, async (tree) => {
      assert.ok((tree.roundTrip ?? 99) < 8, `a near server: ${tree.roundTrip} ms`);
      tree.willWrite(64 << 20);
      assert.deepEqual((await tree.makeDirs('', [{ name: 'a' }])).map((r) => r.status), ['done']);
      const st = lstatSync(join(src, 'a/f'));
      const wrote = await tree.writeFiles('a', [{ name: 'f', content: { type: 'tree', path: 'a/f' }, source: { kind: 'file', size: st.size, mtimeMs: MTIME, mode: st.mode, ino: st.ino } }], from);
      assert.deepEqual(wrote.map((r) => r.status), ['done']);
      assert.equal(tree.helperAnswers.length, 1);
    }).finally(() => from.close());
    assert.equal(readFileSync(join(dst, 'a/f'), 'utf8'), 'a file');
  });

  it('an update replaces only the file the scan saw; a new name that appeared meanwhile is kept; a missing folder fails naming ENOENT', async () => {
    const src = writeTree(tmp(), { 'n.txt': 'new' });
    const dst = writeTree(tmp(), { 'sub/same.txt': { data: 'old', mtime: 1_600_000_000 }, 'sub/moved.txt': { data: 'old', mtime: 1_600_000_000 }, 'sub/appeared.txt': 'someone else' });
    const from = localTree(src);
    const seen = { kind: 'file' as const, size: 3, mtimeMs: 1_600_000_000_000 };
    await withHelper(server(), dst, async (tree) => {
      writeFileSync(join(dst, 'sub/moved.txt'), 'changed by someone');
      const item = (name: string, extra: Partial<WriteItem> = {}): WriteItem => ({ name, content: { type: 'tree', path: 'n.txt' }, source: fileEntry(3), ...extra });
      const results = await tree.writeFiles('sub', [
        item('same.txt', { replace: seen }),
        item('moved.txt', { replace: seen }),
        item('appeared.txt'),
      ], from);
      assert.deepEqual(results.map((r) => r.status), ['done', 'changed-since-scan', 'changed-since-scan']);
      const missing = await tree.writeFiles('nowhere', [item('x')], from);
      assert.equal(missing[0]?.status, 'failed');
      assert.equal(missing[0]?.error?.code, 'ENOENT');
      assert.equal(tree.written.sftp, 0);
    });
    await from.close();
    assert.equal(readFileSync(join(dst, 'sub/same.txt'), 'utf8'), 'new');
    assert.equal(readFileSync(join(dst, 'sub/moved.txt'), 'utf8'), 'changed by someone');
    assert.equal(readFileSync(join(dst, 'sub/appeared.txt'), 'utf8'), 'someone else');
    assert.deepEqual(tempsUnder(dst), []);
  });

  it('a folder swapped for a link to the outside is refused (EUNSAFE), as is a file where a folder was; nothing lands outside', async () => {
    const src = writeTree(tmp(), { 'f.txt': 'payload' });
    const outside = tmp();
    const dst = writeTree(tmp(), { 'sub/old.txt': 'old', 'sub/deep/x': 'x', 'flat/y': 'y' });
    const from = localTree(src);
    await withHelper(server(), dst, async (tree) => {
      spawnSync('mv', [join(dst, 'sub'), join(dst, 'sub.real')]);
      symlinkSync(outside, join(dst, 'sub'));
      mkdirSync(join(outside, 'deep'));
      spawnSync('rm', ['-r', join(dst, 'flat')]);
      writeFileSync(join(dst, 'flat'), 'a file now');
      const item = { name: 'f.txt', content: { type: 'tree' as const, path: 'f.txt' }, source: fileEntry(7) };
      const results: StepResult[] = [
        ...await tree.writeFiles('sub', [item], from),
        ...await tree.writeFiles('sub/deep', [item], from),
        ...await tree.writeFiles('flat', [item], from),
      ].map((r) => r);
      for (const r of results) {
        assert.equal(r.status, 'failed');
        assert.equal(r.error?.code, 'EUNSAFE');
      }
      assert.match(results[0]?.error?.message ?? '', /destination parent "sub" is a symlink; refusing to write through it/);
      assert.match(results[1]?.error?.message ?? '', /destination parent "sub" is a symlink/);
      assert.match(results[2]?.error?.message ?? '', /destination parent "flat" is not a folder/);
      assert.equal(tree.written.sftp, 0);
    }).finally(() => from.close());
    assert.deepEqual(readdirSync(outside), ['deep']);
    assert.deepEqual(readdirSync(join(outside, 'deep')), []);
  });
});

describe('remote folders and attributes through perl', { skip: skipReason }, () => {
  const server = useServer();

  it('makeDirs and setAttrs (the root too): modes and microsecond mtimes set on handles; a link is never followed, a swapped parent refused', async () => {
    const outside = writeTree(tmp(), { 'victim.txt': { data: 'outside', mode: 0o600, mtime: 1_000_000_001 }, 'vdir/x': 'x' });
    const dst = writeTree(tmp(), { 'sub/f.txt': 'f', 'sub/d/x': 'x', 'sub/file': 'a file', 'other/y': 'y' });
    symlinkSync(join(outside, 'victim.txt'), join(dst, 'sub/link'));
    symlinkSync(join(outside, 'vdir'), join(dst, 'sub/dlink'));
    const before = { file: statSync(join(outside, 'victim.txt')), dir: statSync(join(outside, 'vdir')) };
    await withHelper(server(), dst, async (tree) => {
      const made = await tree.makeDirs('sub', [{ name: 'new' }, { name: 'd' }, { name: 'file' }]);
      assert.deepEqual(made.map((r) => r.status), ['done', 'done', 'changed-since-scan']);
      assert.equal(statSync(join(dst, 'sub/new')).mode & 0o777, 0o700);
      const missing = await tree.makeDirs('nowhere', [{ name: 'x' }]);
      assert.equal(missing[0]?.status, 'vanished');
      const attrs = await tree.setAttrs('sub', [
        { name: 'new', kind: 'dir', mode: 0o750, mtimeMs: MTIME },
        { name: 'f.txt', kind: 'file', mode: 0o604, mtimeMs: MTIME },
        { name: 'link', kind: 'file', mode: 0o666, mtimeMs: MTIME },
        { name: 'dlink', kind: 'dir', mode: 0o777, mtimeMs: MTIME },
        { name: 'f.txt', kind: 'dir', mode: 0o777 },
        { name: 'gone', kind: 'file', mode: 0o600 },
      ]);
      assert.deepEqual(attrs.map((r) => r.status), ['done', 'done', 'changed-since-scan', 'changed-since-scan', 'changed-since-scan', 'vanished']);
      // A parent swapped for a link to the outside: refused, nothing changed there.
      spawnSync('mv', [join(dst, 'other'), join(dst, 'other.real')]);
      symlinkSync(outside, join(dst, 'other'));
      const refused = [
        ...await tree.makeDirs('other', [{ name: 'made' }]),
        ...await tree.setAttrs('other', [{ name: 'victim.txt', kind: 'file', mode: 0o666, mtimeMs: MTIME }]),
      ];
      for (const r of refused) assert.equal(r.error?.code, 'EUNSAFE', JSON.stringify(r));
      // The root last (the swap above changed its mtime).
      assert.deepEqual((await tree.setAttrs('', [{ name: '', kind: 'dir', mtimeMs: MTIME }])).map((r) => r.status), ['done']);
    });
    assert.equal(statSync(join(dst, 'sub/new')).mode & 0o777, 0o750);
    assert.equal(statSync(join(dst, 'sub/f.txt')).mode & 0o777, 0o604);
    for (const p of ['sub/new', 'sub/f.txt', '']) assert.equal(usOf(join(dst, p)), 1_650_000_000_123_456n, p || 'the root');
    const after = { file: statSync(join(outside, 'victim.txt')), dir: statSync(join(outside, 'vdir')) };
    for (const k of ['file', 'dir'] as const) {
      assert.equal(after[k].mode, before[k].mode, k);
      assert.equal(after[k].mtimeMs, before[k].mtimeMs, k);
    }
    assert.deepEqual(readdirSync(outside).sort(), ['vdir', 'victim.txt']);
  });
});

/** perl: removes the file $ARGV[0] from each following folder that is a real folder, entered without following a link. */
const REMOVE_IN_REAL_FOLDER = 'my $n = shift; for my $d (@ARGV) { my @l = lstat $d; next unless @l && ($l[2] & 61440) == 16384; chdir $d or next; '
  + 'my @s = stat "."; unlink $n if @s && $s[0] == $l[0] && $s[1] == $l[1]; chdir "/" }';

describe('remote writes through perl: a folder <-> link swap loop', { skip: skipReason ?? racerBinary().why }, () => {
  const server = useServer();

  it('the lock made at open (lockScript) with the root exchanged with a link to an outside canary in a tight loop: never made outside', { timeout: 120_000 }, async () => {
    const root = tmp();
    const canary = makeCanary(root, canarySpec([]));
    const dst = writeTree(join(root, 'dst'), { '.keep': '' });
    symlinkSync(canary.dir, join(root, 'lnk'));
    let made = 0;
    await whileRacing(['swap', dst, join(root, 'lnk')], async () => {
      for (let i = 0; i < 1500; i++) {
        // Run as the shell on the server runs it; the real folder is at dst or at lnk, whichever the loop left.
        if (spawnSync('sh', ['-c', lockScript(dst, `run ${i}`)]).status === 0) made++;
        // Removed from the real folder only (entered as perl enters it), never through the link.
        spawnSync('perl', ['-e', REMOVE_IN_REAL_FOLDER, LOCK_NAME, dst, join(root, 'lnk')]);
        canary.assertUntouched(`lock ${i}`);
      }
    });
    canary.assertUntouched('the lock script during the swap loop');
    assert.ok(made > 0, 'some locks were made in the real folder');
  });

  it('dst/a exchanged with a link to an outside canary in a tight loop while 600 files are written into it: the canary is untouched', { timeout: 120_000 }, async () => {
    const root = tmp();
    const names = Array.from({ length: 600 }, (_, i) => `f${String(i).padStart(4, '0')}`);
    // The canary holds the same names, so a write through the link would replace them.
    const canary = makeCanary(root, canarySpec(names));
    const src = writeTree(join(root, 'src'), Object.fromEntries(names.map((n) => [n, `inside ${n}\n`])));
    const dst = writeTree(join(root, 'dst'), { 'a/.keep': '', 'b/.keep': '' });
    symlinkSync(canary.dir, join(root, 'lnk'));
    const from = localTree(src);
    const results: StepResult[] = [];
    await withHelper(server(), dst, (tree) => whileRacing(['swap', join(dst, 'a'), join(root, 'lnk')], async () => {
      // Batches alternate with folder b, so that perl enters a afresh (step by step) for each of its batches.
      for (let i = 0; i < names.length; i += 24) {
        const batch = names.slice(i, i + 24).map((n) => ({ name: n, content: { type: 'tree' as const, path: n }, source: fileEntry(`inside ${n}\n`.length, Date.now()) }));
        results.push(...await tree.writeFiles('a', batch, from));
        await tree.writeFiles('b', batch.slice(0, 1), from);
      }
    })).finally(() => from.close());
    canary.assertUntouched('writes through perl during the swap loop');
    const done = results.filter((r) => r.status === 'done').length;
    const refused = results.filter((r) => r.error?.code === 'EUNSAFE').length;
    assert.equal(done + refused + results.filter((r) => r.status === 'vanished').length, names.length, JSON.stringify(results.find((r) => r.status === 'failed' && r.error?.code !== 'EUNSAFE')));
    assert.ok(refused > 0, 'the loop made some writes meet the link');
    // Whatever was written is in the real folder, wherever the loop left it.
    const real = lstatSync(join(dst, 'a')).isSymbolicLink() ? join(root, 'lnk') : join(dst, 'a');
    const written = readdirSync(real).filter((n) => n.startsWith('f'));
    assert.ok(written.length >= done - 0, `${written.length} files in the real folder, ${done} reported done`);
    for (const n of written) assert.equal(readFileSync(join(real, n), 'utf8'), `inside ${n}\n`);
  });
});

describe('remote writes through perl: the helper or the connection lost mid-file', { skip: skipReason }, () => {
  const server = useServer();
  const BIG = 64 << 20;

  /** A 64 MiB file and ten small ones to write over old versions, and a write of them all that `kill` interrupts once the big one streams. */
  async function writeUntil(srv: SshServer, kill: (perl: number, srv: SshServer) => void): Promise<{ results: StepResult[]; dst: string; src: string; oldBig: Buffer }> {
    const src = tmp();
    const dst = tmp();
    writeFileSync(join(src, 'big.bin'), Buffer.alloc(BIG, 1));
    const oldBig = Buffer.alloc(1000, 2);
    writeFileSync(join(dst, 'big.bin'), oldBig);
    for (let i = 0; i < 10; i++) writeFileSync(join(src, `s${i}.txt`), `small ${i}`);
    const item = (name: string): WriteItem => {
      const st = statSync(join(src, name));
      const old = name === 'big.bin' ? statSync(join(dst, name)) : undefined;
      return {
        name,
        content: { type: 'tree', path: name },
        source: { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode, ino: st.ino },
        ...(old ? { replace: { kind: 'file' as const, size: old.size, mtimeMs: old.mtimeMs } } : {}),
      };
    };
    const from = localTree(src);
    let results: StepResult[] = [];
    let written = { helper: 0, sftp: 0 };
    await withHelper(srv, dst, async (tree) => {
      const writing = tree.writeFiles('', ['big.bin', ...Array.from({ length: 10 }, (_, i) => `s${i}.txt`)].map(item), from);
      await until(() => tempsUnder(dst).some((t) => statSync(join(dst, t)).size > 4 << 20), 'the big file streaming through perl', 30_000);
      // perl stopped mid-file, so that the loss comes before the file's end whatever the machine's speed.
      // The perl writing it is the one in dst (perl enters the folder it writes in); a second writer may have started
      // (past 16 MiB a run writes through two).
      const perl = sessionProcesses(srv).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('perl\0') && readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dst);
        } catch {
          return false;
        }
      });
      assert.equal(perl.length, 1, 'one perl helper writing in dst');
      process.kill(perl[0] as number, 'SIGSTOP');
      kill(perl[0] as number, srv);
      results = await writing;
      written = tree.written;
      // Gone already where the test killed it.
      spawnSync('kill', ['-KILL', String(perl[0])]);
    }).finally(() => from.close());
    assert.ok(written.helper >= 11, 'all went to perl first');
    return { results, dst, src, oldBig };
  }

  it('a file being written is never set-id nor writable by group or others before its bytes are all in (mode 6777, caught mid-file)', { timeout: 60_000 }, async () => {
    const srv = server();
    const src = tmp();
    const dst = tmp();
    writeFileSync(join(src, 'big.bin'), Buffer.alloc(BIG, 3));
    chmodSync(join(src, 'big.bin'), 0o6777);
    const st = statSync(join(src, 'big.bin'));
    const from = localTree(src);
    let midMode = -1;
    let results: StepResult[] = [];
    await withHelper(srv, dst, async (tree) => {
      const writing = tree.writeFiles('', [{ name: 'big.bin', content: { type: 'tree', path: 'big.bin' }, source: { kind: 'file', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode, ino: st.ino } }], from);
      await until(() => tempsUnder(dst).some((t) => statSync(join(dst, t)).size > 4 << 20), 'the big file streaming through perl', 30_000);
      const perl = sessionProcesses(srv).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('perl\0') && readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dst);
        } catch {
          return false;
        }
      });
      assert.equal(perl.length, 1, 'one perl helper writing in dst');
      // Held mid-file, so that the look is at the temporary before its bytes are all in, whatever the machine's speed.
      process.kill(perl[0] as number, 'SIGSTOP');
      try {
        const [tmpName] = tempsUnder(dst);
        midMode = statSync(join(dst, tmpName as string)).mode & 0o7777;
      } finally {
        process.kill(perl[0] as number, 'SIGCONT');
      }
      results = await writing;
    }).finally(() => from.close());
    assert.equal(midMode & 0o7022, 0, `the temporary's mode mid-file: ${midMode.toString(8)}`);
    assert.deepEqual(results.map((r) => r.status), ['done']);
    assert.equal((statSync(join(dst, 'big.bin')).mode & 0o7777).toString(8), '6777');
    assert.deepEqual(tempsUnder(dst), []);
  });

  it('perl killed on the server (the connection alive): what it had not answered is written again over SFTP, all done', { timeout: 60_000 }, async () => {
    const { results, dst, src } = await writeUntil(server(), (perl) => process.kill(perl, 'SIGKILL'));
    assert.deepEqual(results.map((r) => r.status), results.map(() => 'done'), JSON.stringify(results.filter((r) => r.status !== 'done')));
    assert.ok(readFileSync(join(dst, 'big.bin')).equals(readFileSync(join(src, 'big.bin'))), 'the big file is the new one');
    for (let i = 0; i < 10; i++) assert.equal(readFileSync(join(dst, `s${i}.txt`), 'utf8'), `small ${i}`);
  });

  it('the connection dropped (the session\'s sshd killed): the write fails, never hangs, and the file is the old one, whole', { timeout: 60_000 }, async () => {
    const { results, dst, oldBig } = await writeUntil(server(), (_perl, srv) => {
      const [session] = srv.sessions();
      process.kill(session as number, 'SIGKILL');
    });
    const big = results[0] as StepResult;
    assert.equal(big.status, 'failed');
    assert.match(`${big.error?.code} ${big.error?.message}`, /ECONNLOST|connection to .* lost/);
    assert.ok(readFileSync(join(dst, 'big.bin')).equals(oldBig), 'the old file, whole');
    for (let i = 0; i < 10; i++) {
      const name = `s${i}.txt`;
      const r = results[i + 1] as StepResult;
      if (r.status === 'done') assert.equal(readFileSync(join(dst, name), 'utf8'), `small ${i}`);
      else assert.ok(!readdirSync(dst).includes(name), `${name} failed and is not there`);
    }
  });
});
