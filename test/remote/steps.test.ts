/** The remote tree's steps and lock through the DestinationTree interface, against a real OpenSSH server. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isTempName, LOCK_NAME } from '../../src/engine/index.js';
import type { FileEntry } from '../../src/engine/types.js';
import { fileEntry, localTree, MTIME, openTree, skipReason, usOf, useServer, withHelper, withTree } from '../helpers/remote.js';
import { until } from '../helpers/wait.js';
import { tmp, writeTree } from '../helpers/tree.js';
import type { SftpTree } from '../../src/engine/backends/sftp/index.js';

describe('remote steps', { skip: skipReason }, () => {
  const server = useServer();

  it('writeFiles: new files from the source tree, a local file and bytes, with mode and microsecond mtime, no temporary left', async () => {
    const src = writeTree(tmp(), { 'a.txt': { data: 'from the tree', mode: 0o640, mtime: MTIME / 1000 } });
    const outside = join(tmp(), 'spooled');
    writeFileSync(outside, 'from a local file');
    utimesSync(outside, 1, MTIME / 1000);
    const dst = writeTree(tmp(), { 'sub/keep': 'k' });
    const from = localTree(src);
    await withTree(server(), dst, async (tree) => {
      const results = await tree.writeFiles('sub', [
        { name: 'a.txt', content: { type: 'tree', path: 'a.txt' }, source: fileEntry(13) },
        { name: 'b.txt', content: { type: 'file', path: outside }, source: fileEntry(17), mode: 0o600 },
        { name: 'c.bin', content: { type: 'bytes', data: new Uint8Array([1, 2, 3]) }, source: fileEntry(3, MTIME, 0o644) },
        { name: 'gone.txt', content: { type: 'tree', path: 'no-such' }, source: fileEntry(1) },
      ], from);
      assert.deepEqual(results.map((r) => r.status), ['done', 'done', 'done', 'vanished']);
      assert.deepEqual(results.map((r) => r.bytes), [13, 17, 3, undefined]);
    });
    await from.close();
    assert.equal(readFileSync(join(dst, 'sub/a.txt'), 'utf8'), 'from the tree');
    assert.equal(readFileSync(join(dst, 'sub/b.txt'), 'utf8'), 'from a local file');
    assert.deepEqual([...readFileSync(join(dst, 'sub/c.bin'))], [1, 2, 3]);
    assert.equal(statSync(join(dst, 'sub/a.txt')).mode & 0o7777, 0o640);
    assert.equal(statSync(join(dst, 'sub/b.txt')).mode & 0o7777, 0o600);
    for (const f of ['a.txt', 'b.txt', 'c.bin']) assert.equal(usOf(join(dst, 'sub', f)), 1_650_000_000_123_456n, f);
    assert.deepEqual(readdirSync(join(dst, 'sub')).sort(), ['a.txt', 'b.txt', 'c.bin', 'keep']);
  });

  it('writeFiles over SFTP alone sets whole seconds; an update replaces only the file the scan saw', async () => {
    const src = writeTree(tmp(), { 'f.txt': { data: 'new content', mtime: MTIME / 1000 } });
    const dst = writeTree(tmp(), { 'f.txt': { data: 'old', mtime: 1_000_000 }, 'g.txt': { data: 'old', mtime: 1_000_000 } });
    const from = localTree(src);
    await withTree(server(), dst, async (tree) => {
      const seen = (await tree.scan({ side: 'destination', rules: { exclude: [], include: [] } })).entries;
      const expect = { kind: 'file' as const, size: 3, mtimeMs: (seen.get('f.txt') as FileEntry).mtimeMs };
      writeFileSync(join(dst, 'g.txt'), 'changed by someone else');
      const results = await tree.writeFiles('', [
        { name: 'f.txt', content: { type: 'tree', path: 'f.txt' }, source: fileEntry(11), replace: expect },
        { name: 'g.txt', content: { type: 'tree', path: 'f.txt' }, source: fileEntry(11), replace: expect },
      ], from);
      assert.deepEqual(results.map((r) => r.status), ['done', 'changed-since-scan']);
    }, true);
    await from.close();
    assert.equal(readFileSync(join(dst, 'f.txt'), 'utf8'), 'new content');
    assert.equal(usOf(join(dst, 'f.txt')), 1_650_000_000_000_000n);
    assert.equal(readFileSync(join(dst, 'g.txt'), 'utf8'), 'changed by someone else');
    assert.deepEqual(readdirSync(dst).filter(isTempName), []);
  });

  it('writeFiles copies a tree file only once it is as the scan saw it or as the last try left it; another inode is not copied', async () => {
    const src = writeTree(tmp(), { 'a.txt': { data: 'rewritten since the scan', mtime: MTIME / 1000 }, 'b.txt': 'b' });
    const dst = tmp();
    const from = localTree(src);
    await withTree(server(), dst, async (tree) => {
      const results = await tree.writeFiles('', [
        // The scan saw another size: not copied on the first look, copied on the second (it has settled).
        { name: 'a.txt', content: { type: 'tree', path: 'a.txt' }, source: fileEntry(3) },
        // The scan saw another inode: the file was replaced since; left for the next run.
        { name: 'b.txt', content: { type: 'tree', path: 'b.txt' }, source: { ...fileEntry(1), ino: 1 } },
      ], from);
      assert.deepEqual(results.map((r) => r.status), ['done', 'vanished']);
    });
    await from.close();
    assert.equal(readFileSync(join(dst, 'a.txt'), 'utf8'), 'rewritten since the scan');
    assert.deepEqual(readdirSync(dst), ['a.txt']);
  });

  it('makeDirs, setAttrs (the root too), remove (a folder only once empty) and their races', async () => {
    const dst = writeTree(tmp(), { 'file': 'f', 'full/x': 'x', 'empty': { dir: true }, 'del.txt': 'd' });
    await withTree(server(), dst, async (tree) => {
      assert.deepEqual((await tree.makeDirs('', [{ name: 'new' }, { name: 'empty' }, { name: 'file' }])).map((r) => r.status), ['done', 'done', 'changed-since-scan']);
      assert.deepEqual((await tree.setAttrs('', [
        { name: 'new', kind: 'dir', mode: 0o750, mtimeMs: MTIME },
        { name: 'file', kind: 'file', mode: 0o604 },
        { name: 'missing', kind: 'file', mode: 0o600 },
      ])).map((r) => r.status), ['done', 'done', 'vanished']);
      const del = lstatSync(join(dst, 'del.txt'));
      const results = await tree.remove('', [
        { name: 'full', expect: { kind: 'dir' } },
        { name: 'empty', expect: { kind: 'dir' } },
        { name: 'del.txt', expect: { kind: 'file', size: 1, mtimeMs: del.mtimeMs } },
        { name: 'file', expect: { kind: 'file', size: 99 } },
        { name: 'missing', expect: { kind: 'file' } },
      ]);
      assert.deepEqual(results.map((r) => r.status), ['changed-since-scan', 'done', 'done', 'changed-since-scan', 'vanished']);
      assert.deepEqual((await tree.setAttrs('', [{ name: '', kind: 'dir', mtimeMs: MTIME }])).map((r) => r.status), ['done']);
    });
    assert.equal(statSync(join(dst, 'new')).mode & 0o7777, 0o750);
    assert.equal(usOf(join(dst, 'new')), 1_650_000_000_123_456n);
    assert.equal(usOf(dst), 1_650_000_000_123_456n);
    assert.equal(statSync(join(dst, 'file')).mode & 0o7777, 0o604);
    assert.ok(existsSync(join(dst, 'full/x')));
    assert.ok(!existsSync(join(dst, 'empty')) && !existsSync(join(dst, 'del.txt')));
  });

  it('symlinks: OpenSSH\'s argument order, the link\'s own times, replacing a link atomically', async () => {
    const dst = writeTree(tmp(), { 'old': { link: 'before' }, 'target.txt': 't' });
    await withTree(server(), dst, async (tree) => {
      const results = await tree.symlinks('', [
        { name: 'rel', target: 'target.txt', mtimeMs: MTIME },
        { name: 'abs', target: '/etc/hostname', mtimeMs: MTIME },
        { name: 'old', target: 'after', mtimeMs: MTIME, replace: { kind: 'symlink' } },
      ]);
      assert.deepEqual(results.map((r) => r.status), ['done', 'done', 'done']);
    });
    assert.equal(readlinkSync(join(dst, 'rel')), 'target.txt');
    assert.equal(readlinkSync(join(dst, 'abs')), '/etc/hostname');
    assert.equal(readlinkSync(join(dst, 'old')), 'after');
    assert.equal(usOf(join(dst, 'rel')), 1_650_000_000_123_456n);
    assert.notEqual(usOf(join(dst, 'target.txt')), 1_650_000_000_123_456n, "the link's target keeps its time");
  });

  it('rename: a folder in one step, a file that must not replace, a replace that checks what it replaces, a chain', async () => {
    const dst = writeTree(tmp(), { 'dir/a': 'a', 'x': 'x', 'y': 'y', 'taken': 'here', 'p': 'p', 'q': 'q' });
    const ino = lstatSync(join(dst, 'dir/a')).ino;
    await withTree(server(), dst, async (tree) => {
      const results = await tree.rename([
        { from: 'dir', to: 'moved', expect: { kind: 'dir' } },
        { from: 'x', to: 'taken' },
        { from: 'y', to: 'taken', replace: { kind: 'file', size: 4 } },
        { from: 'p', to: '.absync-tmp.aaaaaaaaaaaaaaaaaaaa' },
        { from: 'q', to: 'p' },
        { from: '.absync-tmp.aaaaaaaaaaaaaaaaaaaa', to: 'q' },
      ]);
      assert.deepEqual(results.map((r) => r.status), ['done', 'changed-since-scan', 'done', 'done', 'done', 'done']);
    });
    assert.equal(lstatSync(join(dst, 'moved/a')).ino, ino);
    assert.equal(readFileSync(join(dst, 'taken'), 'utf8'), 'y');
    assert.equal(readFileSync(join(dst, 'x'), 'utf8'), 'x');
    assert.equal(readFileSync(join(dst, 'p'), 'utf8'), 'q');
    assert.equal(readFileSync(join(dst, 'q'), 'utf8'), 'p');
  });

  it('removeLeftovers removes only engine-made temporaries that are files or links', async () => {
    const dst = writeTree(tmp(), {
      'a/.absync-tmp.abcdefghijklmnopqrst': 'half',
      '.absync-tmp.report.pdf': 'a user file',
      'b/.absync-tmp.bbbbbbbbbbbbbbbbbbbb/inside': 'a folder with our name',
    });
    await withTree(server(), dst, async (tree) => {
      const snap = await tree.scan({ side: 'destination', rules: { exclude: [], include: [] } });
      assert.deepEqual([...(snap.leftovers ?? [])].sort(), ['a/.absync-tmp.abcdefghijklmnopqrst', 'b/.absync-tmp.bbbbbbbbbbbbbbbbbbbb']);
      await tree.removeLeftovers([...(snap.leftovers ?? []), '.absync-tmp.report.pdf']);
    });
    assert.ok(!existsSync(join(dst, 'a/.absync-tmp.abcdefghijklmnopqrst')));
    assert.ok(existsSync(join(dst, '.absync-tmp.report.pdf')));
    assert.ok(existsSync(join(dst, 'b/.absync-tmp.bbbbbbbbbbbbbbbbbbbb/inside')));
  });
});

describe('remote lock', { skip: skipReason }, () => {
  const server = useServer();
  const slowServer = useServer({ slowShell: 0.5 });

  it('one run at a time: a second lock waits up to its timeout, then is refused naming the holder', async () => {
    const dst = tmp();
    await withTree(server(), dst, async (a) => withTree(server(), dst, async (b) => {
      const lock = await a.lock(0, true);
      const info = JSON.parse(readFileSync(join(dst, LOCK_NAME), 'utf8')) as { pid: number; host: string };
      assert.deepEqual([info.pid, info.host], [process.pid, hostname()]);
      const t0 = Date.now();
      await assert.rejects(b.lock(300, true), (err: Error & { code: string }) => {
        assert.equal(err.code, 'E_LOCKED');
        assert.match(err.message, new RegExp(`is being synced by another absync run \\(pid ${process.pid} on ${hostname()}`));
        return true;
      });
      assert.ok(Date.now() - t0 >= 300);
      await lock.release();
      assert.ok(!existsSync(join(dst, LOCK_NAME)));
      await (await b.lock(0, true)).release();
    }));
  });

  it('taken on the shell as the tree opens (lockAtOpen): held before lock() is called, claimed by it, removed by release; a tree closed unclaimed removes it', { timeout: 20_000 }, async () => {
    const dst = tmp();
    const lockFile = join(dst, LOCK_NAME);
    const mine = (): boolean => {
      try {
        return (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid === process.pid;
      } catch {
        return false;
      }
    };
    const tree = await openTree(server(), dst, { lockAtOpen: true });
    try {
      await until(mine, 'the lock taken by the shell, before any lock()');
      const lock = await tree.lock(0, true);
      assert.ok(mine(), 'lock() claimed the same lock');
      await lock.release();
      assert.ok(!existsSync(lockFile), 'released');
    } finally {
      await tree.close();
    }
    // Opened, never locked (a run refused before its lock): close() removes what the shell took, and puts the root's
    // mtime back to the microsecond (the lock file's making and removal moved it).
    utimesSync(dst, 1_600_000_000, MTIME / 1000);
    const unclaimed = await openTree(server(), dst, { lockAtOpen: true });
    await until(mine, 'the lock taken by the shell');
    await unclaimed.close();
    assert.ok(!existsSync(lockFile), 'removed by close()');
    assert.equal(usOf(dst), 1_650_000_000_123_456n, 'the root\'s mtime as it was');
    // Without lockAtOpen (a dry run) nothing is made before lock().
    await withTree(server(), dst, async (plain) => {
      // The root's entry comes through the shell after what open would have queued there.
      assert.equal((await plain.rootEntry())?.kind, 'dir');
      assert.deepEqual(readdirSync(dst), []);
    });
  });

  it('lockAtOpen where another run holds the lock: that lock is left as it is, and lock() waits, then is refused', { timeout: 20_000 }, async () => {
    const dst = tmp();
    const other = JSON.stringify({ pid: 1, host: 'another-machine', since: '2020-01-01T00:00:00Z' });
    writeFileSync(join(dst, LOCK_NAME), other);
    const tree = await openTree(server(), dst, { lockAtOpen: true });
    try {
      await assert.rejects(tree.lock(200, true), (err: Error & { code: string }) => err.code === 'E_LOCKED' && err.message.includes('another-machine'));
    } finally {
      await tree.close();
    }
    assert.equal(readFileSync(join(dst, LOCK_NAME), 'utf8'), other);
  });

  /**
   * Releases of `tree`'s lock in `dst`: its own lock goes; one another run took over meanwhile stays; one swapped for a
   * link to a file outside that holds this run's text keeps the link and its target.
   */
  async function assertReleasesOnlyItsOwn(tree: SftpTree, dst: string): Promise<void> {
    const outside = writeTree(tmp(), { 'lock-like': 'x' });
    await (await tree.lock(0, true)).release();
    assert.ok(!existsSync(join(dst, LOCK_NAME)), 'the lock is gone');
    let lock = await tree.lock(0, true);
    const other = JSON.stringify({ pid: 1, host: 'another-machine', since: '2020-01-01T00:00:00Z' });
    writeFileSync(join(dst, LOCK_NAME), other);
    await lock.release();
    assert.equal(readFileSync(join(dst, LOCK_NAME), 'utf8'), other, 'another run\'s lock stays');
    spawnSync('rm', [join(dst, LOCK_NAME)]);
    lock = await tree.lock(0, true);
    writeFileSync(join(outside, 'lock-like'), readFileSync(join(dst, LOCK_NAME)));
    spawnSync('rm', [join(dst, LOCK_NAME)]);
    spawnSync('ln', ['-s', join(outside, 'lock-like'), join(dst, LOCK_NAME)]);
    await lock.release();
    assert.ok(lstatSync(join(dst, LOCK_NAME)).isSymbolicLink(), 'the link stays');
    assert.ok(existsSync(join(outside, 'lock-like')), 'its target stays');
  }

  it('released through the perl helper: only a lock that still holds this run\'s text is removed, and no link is followed', async () => {
    const dst = tmp();
    await withHelper(server(), dst, async (tree) => {
      await assertReleasesOnlyItsOwn(tree, dst);
      assert.deepEqual(tree.written, { helper: 0, sftp: 0 });
    });
  });

  it('released on an account with a slow login (perl answers the probe late): only this run\'s lock, never through a link', { timeout: 60_000 }, async () => {
    const dst = tmp();
    await withTree(slowServer(), dst, (tree) => assertReleasesOnlyItsOwn(tree, dst));
  });

  it('a stale lock of a dead process on this machine is taken over; one from another machine is respected', async () => {
    const dst = tmp();
    const dead = spawnSync('true').pid as number;
    writeFileSync(join(dst, LOCK_NAME), JSON.stringify({ pid: dead, host: hostname(), since: '2020-01-01T00:00:00Z' }));
    await withTree(server(), dst, async (tree) => {
      const lock = await tree.lock(0, true);
      assert.equal((JSON.parse(readFileSync(join(dst, LOCK_NAME), 'utf8')) as { pid: number }).pid, process.pid);
      await lock.release();
      writeFileSync(join(dst, LOCK_NAME), JSON.stringify({ pid: dead, host: 'another-machine', since: '2020-01-01T00:00:00Z' }));
      await assert.rejects(tree.lock(0, true), /pid \d+ on another-machine/);
      writeFileSync(join(dst, LOCK_NAME), 'x'.repeat(5000));
      await assert.rejects(tree.lock(0, true), /holds a \.absync\.lock that is not a lock file/);
    });
    assert.equal(readFileSync(join(dst, LOCK_NAME), 'utf8').length, 5000);
  });

  it('a refused run leaves the root as it was found: a root it created is removed, an existing root keeps its mtime', async () => {
    const parent = tmp();
    const made = join(parent, 'www');
    const kept = tmp();
    utimesSync(kept, 1, MTIME / 1000);
    await withTree(server(), made, async (tree) => {
      const lock = await tree.lock(0, true);
      assert.ok(existsSync(join(made, LOCK_NAME)));
      await lock.release({ refused: true });
    });
    assert.ok(!existsSync(made));
    await withTree(server(), kept, async (tree) => {
      const lock = await tree.lock(0, true);
      await lock.release({ refused: true });
    });
    assert.equal(usOf(kept), 1_650_000_000_123_456n);
  });
});

describe('remote steps: nothing is written through a link', { skip: skipReason }, () => {
  const server = useServer();

  it('a destination folder swapped for a link to the outside after the scan is refused (EUNSAFE); nothing lands outside', async () => {
    const src = writeTree(tmp(), { 'f.txt': 'payload' });
    const outside = tmp();
    const dst = writeTree(tmp(), { 'sub/old.txt': 'old', 'sub/deep/x': 'x' });
    const from = localTree(src);
    await withTree(server(), dst, async (tree) => {
      await tree.scan({ side: 'destination', rules: { exclude: [], include: [] } });
      // The swap, as another process on the server would make it between scan and apply.
      spawnSync('mv', [join(dst, 'sub'), join(dst, 'sub.real')]);
      spawnSync('ln', ['-s', outside, join(dst, 'sub')]);
      mkdirSync(join(outside, 'deep'));
      const write = await tree.writeFiles('sub', [{ name: 'f.txt', content: { type: 'tree', path: 'f.txt' }, source: fileEntry(7) }], from);
      const deep = await tree.writeFiles('sub/deep', [{ name: 'f.txt', content: { type: 'tree', path: 'f.txt' }, source: fileEntry(7) }], from);
      const dirs = await tree.makeDirs('sub', [{ name: 'new' }]);
      const attrs = await tree.setAttrs('sub', [{ name: 'deep', kind: 'dir', mode: 0o777 }]);
      const links = await tree.symlinks('sub', [{ name: 'l', target: '/etc', mtimeMs: MTIME }]);
      const removed = await tree.remove('sub', [{ name: 'deep', expect: { kind: 'dir' } }]);
      for (const r of [...write, ...deep, ...dirs, ...attrs, ...links, ...removed]) {
        assert.equal(r.status, 'failed');
        assert.equal(r.error?.code, 'EUNSAFE');
      }
      assert.match(write[0]?.error?.message ?? '', /destination parent "sub" is a symlink; refusing to write through it/);
    });
    await from.close();
    assert.deepEqual(readdirSync(outside), ['deep']);
    assert.deepEqual(readdirSync(join(outside, 'deep')), []);
    assert.equal(statSync(join(outside, 'deep')).mode & 0o777, 0o755);
  });
});

describe('remote lock: a destination the account cannot write', { skip: skipReason }, () => {
  const server = useServer({ user: 'nobody' });

  it('is refused (E_DEST_UNWRITABLE) naming the destination, and nothing is made', async () => {
    const parent = tmp();
    chmodSync(parent, 0o755);
    const dst = join(parent, 'www');
    await withTree(server(), dst, async (tree) => {
      await assert.rejects(tree.lock(0, true), (err: Error & { code: string }) => {
        assert.equal(err.code, 'E_DEST_UNWRITABLE');
        assert.match(err.message, /^cannot write to destination nobody@127\.0\.0\.1:.*\/www: permission denied \(EACCES\)$|^cannot write to destination sftp:\/\/nobody@127\.0\.0\.1:\d+.*\/www: permission denied \(EACCES\)$/);
        return true;
      });
    });
    assert.ok(!existsSync(dst));
  });
});
