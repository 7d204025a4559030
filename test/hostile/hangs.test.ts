/**
 * Issue 11, class 2: a run never hangs and never spins, whatever it finds where it reads or writes (FIFOs at every
 * name it opens, a folder or a link at its lock, files that shrink while copied, sysfs and /proc). Each run must end
 * within the bound (BOUND_MS; it is killed then, and the test fails) with an honest exit code and a clear message.
 * The cases mostly wait on a blocked run, so they run concurrently.
 */
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { readTree, tmp, writeTree } from '../helpers/tree.js';
import { makeCanary } from './helpers/canary.js';
import { mkfifo, remember } from './helpers/disk.js';
import { bothEngines, type Todos } from './helpers/engines.js';
import { racerBinary, runWhileSwapping, startRacer } from './helpers/racer.js';
import { assertHonest, assertRefused, PARALLEL, runBin, runLib, shown } from './helpers/run.js';

const noRacer = racerBinary().why;
const T_ = 'issue 11: hangs: fails today on';

/** Todo reasons for a case that fails today on both engines the same way. */
function onBoth(what: string): Todos {
  return { native: `${T_} native: ${what}`, js: `${T_} js: ${what}` };
}

/** No FIFO, socket or device ended up in the destination, and no temporary file was left. */
function assertNoSpecials(dst: string): void {
  const tree = readTree(dst);
  assert.deepEqual(Object.keys(tree).filter((k) => tree[k] === 'special'), [], 'no special file in the destination');
  assert.deepEqual(Object.keys(tree).filter((k) => /(^|\/)\.absync-tmp\./.test(k)), [], 'no temporary file left');
}

describe('issue 11 hangs', { concurrency: 1 }, () => {
  describe('FIFOs where the run reads', { concurrency: PARALLEL }, () => {
    bothEngines('a FIFO named .absyncignore in the source: the bin ends at once and names it', {}, async (engine) => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
      mkfifo(join(src, '.absyncignore'));
      const dst = join(root, 'dst');
      const r = await runBin(engine, [src, dst]);
      assertHonest(r);
      assert.match(r.stderr, /\.absyncignore/, `the ignore file is named\n${shown(r)}`);
      if (r.code === 2) assert.ok(!existsSync(dst), 'a refused run creates no destination');
    });

    bothEngines('a FIFO named .absyncignore in the source: the library sync() settles', {}, async (engine) => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
      mkfifo(join(src, '.absyncignore'));
      const r = await runLib(engine, { source: src, destination: join(root, 'dst') });
      assert.equal(r.hung, false, `sync() hung\n${shown(r)}`);
      assert.ok(r.result, `sync() settled with a result\n${shown(r)}`);
      if (!r.result.ok) assert.match(r.result.message, /\.absyncignore/);
    });

    for (const [flag, make, what] of [
      ['--exclude-from', (p: string) => mkfifo(p), 'a FIFO nobody writes to'],
      ['--include-from', (p: string) => mkdirSync(p), 'a folder'],
    ] as const) {
      bothEngines(`${flag} naming ${what}: refused at once (exit 2), naming it; no destination made`, {}, async (engine) => {
        const root = tmp();
        const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
        make(join(root, 'globs'));
        const dst = join(root, 'dst');
        const r = await runBin(engine, [src, dst, flag, join(root, 'globs')]);
        assertRefused(r, /globs.*regular file/);
        assert.ok(!existsSync(dst), 'a refused run creates no destination');
      });
    }

    bothEngines('source files swapped with FIFOs in a tight loop (scan sees a file, copy finds a FIFO): the run ends, no FIFO is copied', {}, async (engine) => {
      if (noRacer) return;
      const root = tmp();
      const list = Array.from({ length: 40 }, (_, i) => `f${i}.bin`);
      const src = writeTree(join(root, 'src'), Object.fromEntries(list.map((n) => [n, Buffer.alloc(64 << 10, 1)])));
      mkdirSync(join(root, 'stash'));
      mkfifo(...list.map((n) => join(root, 'stash', n)));
      const dst = join(root, 'dst');
      const r = await runWhileSwapping(engine, [src, dst], list.map((n) => [join(src, n), join(root, 'stash', n)] as const), 'start');
      assertHonest(r);
      assertNoSpecials(dst);
    });

    bothEngines('destination rename donors swapped with FIFOs in a tight loop (scan sees a file, hashing finds a FIFO): the run ends', {}, async (engine) => {
      if (noRacer) return;
      const root = tmp();
      const list = Array.from({ length: 40 }, (_, i) => `f${i}.txt`);
      // Same size and mtime under new names: the planner hashes the old ones (the donors) to confirm the moves.
      const spec = (dir: string) => Object.fromEntries(list.map((n) => [`${dir}/${n}`, { data: `content of ${n}`, mtime: 1_600_000_000 }]));
      const src = writeTree(join(root, 'src'), { ...spec('new'), 'keep.txt': 'k' });
      const dst = writeTree(join(root, 'dst'), { ...spec('old'), 'keep.txt': 'k' });
      mkdirSync(join(root, 'stash'));
      mkfifo(...list.map((n) => join(root, 'stash', n)));
      const r = await runWhileSwapping(engine, [src, dst], list.map((n) => [join(dst, 'old', n), join(root, 'stash', n)] as const), 'start');
      assertHonest(r);
    });

    bothEngines('a source file truncated while it is copied: the run ends, and exit 0 means a whole version was copied', {}, async (engine) => {
      if (noRacer) return;
      const root = tmp();
      const src = join(root, 'src');
      mkdirSync(join(src, 'sub'), { recursive: true });
      // 256 MiB, sparse: a copy takes long enough for the racer to cut it short.
      writeFileSync(join(src, 'sub', 'big.bin'), '');
      truncateSync(join(src, 'sub', 'big.bin'), 256 << 20);
      const dst = writeTree(join(root, 'dst'), { 'sub/': { dir: true } });
      const racer = await startRacer(['on-entry', join(dst, 'sub'), 'truncate', join(src, 'sub', 'big.bin')]);
      let r;
      try {
        r = await runBin(engine, [src, dst]);
      } finally {
        await racer.stop();
      }
      assertHonest(r);
      assert.match(racer.output(), /done/, 'the racer truncated the file during the run');
      // Exit 0 means a whole version: the file as it is now (empty), or as it was before the cut (if the copy won).
    if (r.code === 0) assert.ok([0, 256 << 20].includes(lstatSync(join(dst, 'sub', 'big.bin')).size), `exit 0 with a whole version, not a cut one\n${shown(r)}`);
      assertNoSpecials(dst);
    });
  });


  describe('anything but a regular file at .absync.lock is refused at once (exit 2), nothing changed', { concurrency: PARALLEL }, () => {
    const kinds: [string, (lock: string, root: string) => void, string][] = [
      ['a FIFO', (lock) => mkfifo(lock), 'hung opening the FIFO to read the lock, killed at the bound'],
      ['a folder', (lock) => mkdirSync(lock), 'spins at 100% CPU (unlink fails, retried for ever), killed at the bound'],
      ['a folder, with --lock-timeout 1', (lock) => mkdirSync(lock), 'spins past --lock-timeout, killed at the bound'],
      ['a symlink to an outside file', (lock, root) => symlinkSync(join(makeCanary(root).dir, 'victim.txt'), lock), 'exit 0: the link is taken for a stale lock, removed, and the run proceeds'],
      ['a dangling symlink', (lock, root) => symlinkSync(join(root, 'nowhere'), lock), 'exit 0: the link is taken for a stale lock, removed, and the run proceeds'],
    ];
    for (const [kind, make, today] of kinds) {
      bothEngines(`${kind} at .absync.lock: the bin refuses, names it, and changes nothing`, {}, async (engine) => {
        const root = tmp();
        const src = writeTree(join(root, 'src'), { 'a.txt': 'a', 'b/c.txt': 'c' });
        const dst = writeTree(join(root, 'dst'), { 'old.txt': 'to be deleted by a real run' });
        make(join(dst, '.absync.lock'), root);
        const outside = existsSync(join(root, 'outside')) ? readTree(join(root, 'outside')) : undefined;
        const unchanged = remember(dst);
        const r = await runBin(engine, [src, dst, ...(kind.includes('lock-timeout') ? ['--lock-timeout', '1'] : [])]);
        assertRefused(r, /\.absync\.lock/);
        unchanged();
        if (outside) assert.deepEqual(readTree(join(root, 'outside')), outside, 'the link target is untouched');
      });
    }

    // A stale lock (its pid is dead) is taken over through .absync.lock.takeover: whatever another account keeps at
    // that name must refuse the run, within the bound, instead of retrying the takeover for ever.
    const takeovers: [string, (path: string) => void][] = [
      ['a FIFO', (p) => mkfifo(p)],
      ['a folder', (p) => mkdirSync(p)],
      ['a regular file naming a live process', (p) => writeFileSync(p, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }))],
    ];
    for (const [kind, make] of takeovers) {
      bothEngines(`a stale lock, and ${kind} at .absync.lock.takeover: the bin refuses (exit 2), names it, and changes nothing`, {}, async (engine) => {
        const root = tmp();
        const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
        const dst = writeTree(join(root, 'dst'), { 'old.txt': 'to be deleted by a real run' });
        const dead = spawnSync('true').pid as number;
        writeFileSync(join(dst, '.absync.lock'), JSON.stringify({ pid: dead, host: hostname(), since: new Date(Date.now() - 60_000).toISOString() }));
        make(join(dst, '.absync.lock.takeover'));
        const unchanged = remember(dst);
        const r = await runBin(engine, [src, dst]);
        assertRefused(r, /\.absync\.lock/);
        unchanged();
      });
    }

    bothEngines('a FIFO at .absync.lock: the library sync() rejects with E_LOCKED', {}, async (engine) => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
      const dst = join(root, 'dst');
      mkdirSync(dst);
      mkfifo(join(dst, '.absync.lock'));
      const unchanged = remember(dst);
      const r = await runLib(engine, { source: src, destination: dst });
      assert.equal(r.hung, false, `sync() hung\n${shown(r)}`);
      assert.deepEqual(r.result && !r.result.ok ? r.result.code : r.result, 'E_LOCKED', shown(r));
      unchanged('a refused sync()');
    });
  });

  describe('sysfs and /proc', { concurrency: PARALLEL }, () => {
    const sysfs = '/sys/kernel/mm/transparent_hugepage';
    let noSysfs: string | undefined;
    try {
      accessSync(sysfs, constants.R_OK | constants.X_OK);
      if (readdirSync(sysfs).length === 0) noSysfs = `${sysfs} is empty here`;
    } catch {
      noSysfs = `${sysfs} is not readable here`;
    }

    bothEngines(`a source under sysfs (${sysfs}: sizes say 4096, reads end sooner): the run ends`, {}, async (engine) => {
      if (noSysfs) return;
      const dst = join(tmp(), 'dst');
      const r = await runBin(engine, [sysfs, dst]);
      assertHonest(r);
    });

    bothEngines('a destination under /proc (/proc/self/new): refused at once, naming it', {}, async (engine) => {
      const r = await runBin(engine, [writeTree(join(tmp(), 'src'), { 'a.txt': 'a' }), '/proc/self/new']);
      assertRefused(r, /\/proc\//);
    });

    bothEngines('a log file under /proc (/proc/self/new/absync.log): refused at once, naming it; no destination made', {}, async (engine) => {
      const root = tmp();
      const dst = join(root, 'dst');
      const r = await runBin(engine, [writeTree(join(root, 'src'), { 'a.txt': 'a' }), dst, '/proc/self/new/absync.log']);
      assertRefused(r, /absync\.log/);
      assert.ok(!existsSync(dst), 'a refused run creates no destination');
    });

    bothEngines('a log file that is a FIFO nobody reads: the run ends and says so', {}, async (engine) => {
      const root = tmp();
      const dst = join(root, 'dst');
      mkfifo(join(root, 'log.fifo'));
      const r = await runBin(engine, [writeTree(join(root, 'src'), { 'a.txt': 'a' }), dst, join(root, 'log.fifo')]);
      assertHonest(r);
      assert.match(r.stderr, /log\.fifo/, `the log file is named\n${shown(r)}`);
      if (r.code === 2) assert.ok(!existsSync(dst), 'a refused run creates no destination');
    });
  });
});
