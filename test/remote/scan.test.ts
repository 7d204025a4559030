/** Both remote scans against a real OpenSSH server give the Snapshot a local scan of the same folder gives. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '../../src/engine/backends/sftp/connect.js';
import { HelperShell, type RemoteShell, ShellChannel } from '../../src/engine/backends/sftp/remote-shell.js';
import { Stamper } from '../../src/engine/backends/sftp/stamper.js';
import type { RemoteContext } from '../../src/engine/backends/sftp/context.js';
import { shellUnlock } from '../../src/engine/backends/sftp/write-helper.js';
import { LOCK_NAME } from '../../src/engine/reserved.js';
import { SftpSession } from '../../src/engine/backends/sftp/session.js';
import { entryLines, localEntries, openTree, scanRemote, skipReason, trust, useServer } from '../helpers/remote.js';
import { tmp, writeTree } from '../helpers/tree.js';

const NAMES = {
  'plain.txt': 'plain',
  'with space/a b.txt': { data: 'spaced', mtime: 1_600_000_000.123456 },
  'new\nline': 'a newline in its name',
  'ünïcödé/日本語.txt': 'unicode',
  'deep/a/b/c/d.bin': { data: new Uint8Array([0, 1, 2, 255]), mode: 0o600 },
  'deep/empty': { dir: true, mode: 0o700 },
  'exec.sh': { data: '#!/bin/sh\n', mode: 0o755 },
  'zero': '',
  'link-rel': { link: 'plain.txt' },
  'link-abs': { link: '/etc/passwd' },
  'link-dangling': { link: 'no/such' },
  "quote's": 'q',
} as const;

function sampleTree(): string {
  const dir = writeTree(tmp(), NAMES);
  // Many folders and files, so the SFTP scan has folders in flight at once and READDIRs ahead on big folders.
  for (let d = 0; d < 30; d++) {
    mkdirSync(join(dir, 'many', `d${d}`), { recursive: true });
    for (let f = 0; f < (d === 0 ? 400 : 10); f++) writeFileSync(join(dir, 'many', `d${d}`, `f${f}`), `${d}/${f}`);
  }
  return dir;
}

describe('remote scan: exec (find -printf) and SFTP alone', { skip: skipReason }, () => {
  const server = useServer();

  it('the exec scan gives exactly the local scan: names with spaces, newlines and unicode, links, modes, microsecond mtimes, inodes', async () => {
    const dir = sampleTree();
    const tree = await openTree(server(), dir);
    try {
      assert.equal(tree.scanMode, 'exec');
      assert.equal(tree.caps.mtimeStepUs, 1);
      const snap = await scanRemote(tree);
      assert.deepEqual(entryLines(snap.entries), entryLines(await localEntries(dir)));
      assert.ok(snap.entries.has('new\nline'));
      assert.equal(snap.rootEntry?.kind, 'dir');
    } finally {
      await tree.close();
    }
  });

  it('the SFTP scan gives the local scan at whole seconds without inodes (what SFTP v3 carries)', async () => {
    const dir = sampleTree();
    const tree = await openTree(server(), dir, { scanMode: 'sftp' });
    try {
      assert.equal(tree.scanMode, 'sftp');
      assert.equal(tree.caps.mtimeStepUs, 1e6);
      const snap = await scanRemote(tree);
      assert.deepEqual(entryLines(snap.entries, true), entryLines(await localEntries(dir), true));
      assert.equal(snap.entries.size, (await localEntries(dir)).size);
    } finally {
      await tree.close();
    }
  });

  it('both scans skip excluded folders, report leftovers and skip the lock file', async () => {
    const dir = writeTree(tmp(), {
      'keep/a': 'a',
      'cache/big/x': 'x',
      'f.log': 'log',
      '.absync.lock': '{}',
      'keep/.absync-tmp.abcdefghijklmnopqrst': 'half',
      'keep/.absync-tmp.report.pdf': 'a user file with a name like ours',
    });
    const rules = { exclude: ['cache/', '*.log'], include: [] };
    for (const scanMode of ['auto', 'sftp'] as const) {
      const tree = await openTree(server(), dir, { scanMode });
      try {
        const snap = await tree.scan({ side: 'destination', rules });
        assert.deepEqual([...snap.entries.keys()].sort(), ['keep', 'keep/.absync-tmp.report.pdf', 'keep/a'], scanMode);
        assert.deepEqual([...(snap.excluded ?? [])].sort(), ['cache', 'f.log'], scanMode);
        assert.deepEqual(snap.leftovers, ['keep/.absync-tmp.abcdefghijklmnopqrst'], scanMode);
      } finally {
        await tree.close();
      }
    }
  });

  it('an incremental (scoped) scan lists the scoped folder and its parents only', async () => {
    const dir = writeTree(tmp(), { 'a/b/c/f': 'f', 'a/b/c/g': 'g', 'a/other': 'o', 'z/y': 'y' });
    const tree = await openTree(server(), dir);
    try {
      const snap = await tree.scan({ side: 'destination', rules: { exclude: [], include: [] }, scope: ['a/b/c'] });
      assert.deepEqual([...snap.entries.keys()].sort(), ['a', 'a/b', 'a/b/c', 'a/b/c/f', 'a/b/c/g']);
      assert.deepEqual(snap.scope, ['a/b/c']);
    } finally {
      await tree.close();
    }
  });

  it('hashes remote files with sha1sum over exec and by reading over SFTP alike', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const dir = writeTree(tmp(), { 'small.txt': 'hello', 'sub dir/big.bin': big, 'link': { link: 'small.txt' }, '-dash': 'd' });
    const want = ['aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d', (await import('node:crypto')).createHash('sha1').update(big).digest('hex'), undefined, undefined];
    for (const scanMode of ['auto', 'sftp'] as const) {
      const tree = await openTree(server(), dir, { scanMode });
      try {
        assert.deepEqual(await tree.hash(['small.txt', 'sub dir/big.bin', 'missing', 'link'], 'sha1'), want, scanMode);
      } finally {
        await tree.close();
      }
    }
  });
});

describe('remote shell', { skip: skipReason }, () => {
  const server = useServer();

  for (const kind of ['sh', 'perl helper'] as const) {
    it(`answers many scripts sent at once, each with exactly its own output and status, binary output included (${kind})`, async () => {
      const srv = server();
      const client = await connect({ host: '127.0.0.1', port: srv.port, user: srv.user, alias: '127.0.0.1', identityFiles: [] }, trust(srv));
      const session = await SftpSession.open(client, 'test', {});
      const stamper = new Stamper(session);
      const shell: RemoteShell = kind === 'sh' ? await ShellChannel.start(session) : new HelperShell(stamper, session);
      const dir = tmp();
      const stamped = Array.from({ length: 30 }, (_, i) => ({ path: join(dir, `f${i}`), mtimeMs: 1_500_000_000_000 + i * 1000.25 }));
      for (const f of stamped) writeFileSync(f.path, 'x');
      try {
        // The helper's scripts go in turn with its other records: times asked meanwhile get their own answers.
        const stamps = kind === 'sh' ? undefined : stamper.stamp(stamped);
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => shell.run(`printf 'out %d\\0\\n' ${i}; head -c ${i * 3000} /dev/zero; exit ${i % 7}`)));
        results.forEach((r, i) => {
          assert.equal(r.code, i % 7);
          assert.equal(r.stdout.length, `out ${i}\0\n`.length + i * 3000);
          assert.ok(r.stdout.subarray(0, 8).toString('latin1').startsWith(`out ${i}\0`));
        });
        // Streamed: output that looks like the start of a marker, in many chunks, arrives whole and in order.
        const chunks: Buffer[] = [];
        const fake = '\\0ABSYNC-END-0 1\\0';
        const code = await shell.stream(`for i in $(seq 1 3000); do printf '${fake}%05d' $i; done; exit 3`, (c) => chunks.push(c));
        assert.equal(code, 3);
        const want = Array.from({ length: 3000 }, (_, i) => `\0ABSYNC-END-0 1\0${String(i + 1).padStart(5, '0')}`).join('');
        assert.ok(chunks.length > 1, 'the output came in several chunks');
        assert.equal(Buffer.concat(chunks).toString('latin1'), want);
        assert.equal((await shell.run('echo after')).stdout.toString(), 'after\n');
        // A lock removed through the shell's perl only while it holds the run's text; another run's is left, and
        // either way nothing is left to do (false would send the unlock to SFTP: perl's answer was not read back).
        const lock = join(dir, LOCK_NAME);
        writeFileSync(lock, 'another run');
        assert.equal(await shellUnlock({ root: dir } as RemoteContext, shell, 'this run'), true);
        assert.equal(readFileSync(lock, 'utf8'), 'another run');
        writeFileSync(lock, 'this run');
        assert.equal(await shellUnlock({ root: dir } as RemoteContext, shell, 'this run'), true);
        assert.ok(!existsSync(lock));
        // A link at the lock's name, to a file that holds the run's text: neither the link nor its target goes.
        const outside = join(tmp(), 'lock-like');
        writeFileSync(outside, 'this run');
        symlinkSync(outside, lock);
        assert.equal(await shellUnlock({ root: dir } as RemoteContext, shell, 'this run'), true);
        assert.ok(lstatSync(lock).isSymbolicLink() && readFileSync(outside, 'utf8') === 'this run');
        // A script longer than one argument may be (128 KiB), and commands that read stdin find it empty.
        const long = 'x'.repeat(300_000);
        const big = await shell.run(`v='${long}'\nprintf '%s' "$v" | wc -c; cat; echo end`);
        assert.deepEqual([big.code, big.stdout.toString()], [0, '300000\nend\n']);
        // Killed by a signal: 128 + its number, as sh says.
        assert.equal((await shell.run("sh -c 'kill -9 $$'")).code, 137);
        if (stamps) {
          assert.deepEqual(await stamps, stamped.map(() => true));
          for (const f of stamped) assert.equal(lstatSync(f.path, { bigint: true }).mtimeNs / 1000n, BigInt(Math.round(f.mtimeMs * 1000)), f.path);
        }
      } finally {
        shell.close();
        stamper.close();
        session.close();
      }
    });
  }
});

describe('remote scan: an account that may not run commands', { skip: skipReason }, () => {
  const server = useServer({ sftpOnly: true });

  it('is probed once, scans over SFTP and compares whole seconds', async () => {
    const dir = sampleTree();
    const tree = await openTree(server(), dir);
    try {
      assert.equal(tree.scanMode, 'sftp');
      assert.equal(tree.caps.mtimeStepUs, 1e6);
      assert.equal(tree.execCaps.sums.size, 0);
      const snap = await scanRemote(tree);
      assert.deepEqual(entryLines(snap.entries, true), entryLines(await localEntries(dir), true));
    } finally {
      await tree.close();
    }
  });

  it('leaves Error.stackTraceLimit as it was (ssh2\'s errors are made stackless only while a packet is parsed)', async () => {
    const dir = sampleTree();
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    try {
      const tree = await openTree(server(), dir);
      try {
        // Every folder's listing ends in an EOF status, which ssh2 turns into an Error while it parses.
        assert.ok((await scanRemote(tree)).entries.size > 30);
        assert.equal(Error.stackTraceLimit, 17);
      } finally {
        await tree.close();
      }
      assert.ok((new Error('here').stack ?? '').split('\n').length > 1, 'errors made after the scan have their stacks');
    } finally {
      Error.stackTraceLimit = before;
    }
  });
});

describe('remote scan: unreadable folders', { skip: skipReason }, () => {
  const server = useServer({ user: 'nobody' });

  it('an unreadable folder is a problem entry in both scans, never an empty folder', async () => {
    const dir = writeTree(tmp(), { 'ok/f': 'f', 'secret/inside': 'x' });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'ok'), 0o755);
    chmodSync(join(dir, 'secret'), 0o700);
    symlinkSync('secret', join(dir, 'to-secret'));
    for (const scanMode of ['auto', 'sftp'] as const) {
      const tree = await openTree(server(), dir, { scanMode });
      try {
        const snap = await scanRemote(tree);
        assert.equal(snap.entries.get('secret')?.kind, 'problem', scanMode);
        assert.equal((snap.entries.get('secret') as { code: string }).code, 'EACCES', scanMode);
        assert.ok(!snap.entries.has('secret/inside'), scanMode);
        assert.equal(snap.entries.get('ok/f')?.kind, 'file', scanMode);
      } finally {
        await tree.close();
      }
    }
  });
});
