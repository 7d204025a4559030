/** Mirror runs into a real OpenSSH server through the library (runSync, what sync() and every face run), one connection per run. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openTree, readSeconds, skipReason, syncRemote, useServer } from '../helpers/remote.js';
import type { SshServer } from '../helpers/sshd.js';
import { readTree, tmp, writeTree, type TreeSpec } from '../helpers/tree.js';
import { formatSummary } from '../../src/shared/format.js';

const SPEC: TreeSpec = {
  'index.html': { data: '<h1>hi</h1>', mtime: 1_700_000_000.123456 },
  'with space/a b.txt': 'spaced',
  'new\nline.txt': 'newline in the name',
  'ünïcödé/日本語.txt': 'unicode',
  "it's $(rm -rf x) `x` \\n %s.txt": 'a name the shell must not read',
  'bin/tool.sh': { data: '#!/bin/sh\necho\n', mode: 0o755 },
  'private/key': { data: 'secret', mode: 0o600 },
  'empty': { dir: true, mode: 0o700, mtime: 1_600_000_000.5 },
  'zero': '',
  'latest': { link: 'with space' },
  'dangling': { link: 'nowhere/at/all' },
};

function sourceTree(): string {
  const src = writeTree(tmp(), SPEC);
  writeFileSync(join(src, 'big.bin'), randomBytes(5 * 1024 * 1024 + 123));
  for (let d = 0; d < 12; d++) {
    mkdirSync(join(src, 'site', `s${d}`), { recursive: true });
    for (let f = 0; f < 25; f++) writeFileSync(join(src, 'site', `s${d}`, `p${f}.html`), `page ${d}/${f} ${'x'.repeat(f * 37)}`);
  }
  return src;
}

function applied(run: { outcomes: readonly { status: string }[] }): string[] {
  return run.outcomes.filter((o) => o.status !== 'done').map((o) => JSON.stringify(o));
}

/** A rerun of the same pair finds nothing to do (the first run's mirror compares equal at the server's precision). */
async function assertRerunIdle(srv: SshServer, src: string, dst: string): Promise<void> {
  const again = await syncRemote(srv, src, dst);
  assert.equal(again.plan.actions.length, 0, JSON.stringify(again.plan.actions.slice(0, 3)));
}

describe('remote mirror: an account that may run commands (exec scan, microsecond mtimes)', { skip: skipReason }, () => {
  const server = useServer();

  it('a first copy is an exact mirror (content, modes, microsecond mtimes, links, empty folders, odd names); a rerun does nothing', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    const first = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(first), []);
    assert.equal(first.summary.failed, 0);
    assert.equal(first.summary.mtimeStepUs, undefined, 'microsecond mtimes where exec is allowed');
    assert.equal(first.summary.destination, `sftp://${server().user}@127.0.0.1:${server().port}${dst}`, 'the summary names the server, its port and the real remote path');
    assert.deepEqual(readTree(dst), readTree(src));
    await assertRerunIdle(server(), src, dst);
  });

  it('files dated before 1970 keep their exact microsecond, and the files after them still get theirs; a rerun does nothing', async () => {
    const src = writeTree(tmp(), { 'a-old.txt': 'old', 'b-new.txt': { data: 'new', mtime: 1_700_000_000.123456 } });
    // Node's utimes takes a negative time for "now": touch sets it. perl's Time::HiRes dies on one.
    execFileSync('touch', ['-d', '@-1000.25', join(src, 'a-old.txt')]);
    for (let i = 0; i < 20; i++) writeFileSync(join(src, `c${i}.txt`), `after ${i}`);
    const dst = join(tmp(), 'www');
    const first = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(first), []);
    assert.equal(lstatSync(join(dst, 'a-old.txt'), { bigint: true }).mtimeNs, -1000250000000n);
    assert.deepEqual(readTree(dst), readTree(src));
    await assertRerunIdle(server(), src, dst);
  });

  it('updates, deletes, a renamed folder (one rename), a file turned into a link, new modes and link targets converge in one run', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    await syncRemote(server(), src, dst);
    const movedIno = lstatSync(join(dst, 'site', 's3', 'p7.html')).ino;
    writeFileSync(join(src, 'index.html'), '<h1>HI</h1>');
    utimesSync(join(src, 'index.html'), 1_700_000_100, 1_700_000_100.654321);
    rmSync(join(src, 'private'), { recursive: true });
    renameSync(join(src, 'site'), join(src, 'pages'));
    unlinkSync(join(src, 'zero'));
    symlinkSync('index.html', join(src, 'zero'));
    chmodSync(join(src, 'bin', 'tool.sh'), 0o700);
    unlinkSync(join(src, 'latest'));
    symlinkSync('ünïcödé', join(src, 'latest'));
    const run = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(run), []);
    assert.deepEqual(readTree(dst), readTree(src));
    assert.ok(run.summary.moved >= 1, JSON.stringify(run.summary));
    assert.equal(lstatSync(join(dst, 'pages', 's3', 'p7.html')).ino, movedIno, 'the folder was renamed on the server, not copied again');
    await assertRerunIdle(server(), src, dst);
  });

  it('a dry run plans and changes nothing', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    const run = await syncRemote(server(), src, dst, { dryRun: true });
    assert.ok(run.plan.actions.length > 300);
    assert.ok(run.summary.copied > 300);
    assert.throws(() => lstatSync(dst), /ENOENT/);
    // Nothing in a dry run into a missing folder needs exec, but the summary still says what the server keeps.
    assert.equal(run.summary.mtimeStepUs, undefined, 'microsecond mtimes where exec is allowed');
  });

  it('refusals hold on the server as locally: an empty source, too many deletes; nothing changed, no lock left', async () => {
    const src = writeTree(tmp(), { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c' });
    const dst = join(tmp(), 'www');
    await syncRemote(server(), src, dst);
    const before = readTree(dst);
    const empty = tmp();
    await assert.rejects(syncRemote(server(), empty, dst), (err: Error & { code?: string }) => err.code === 'E_EMPTY_SOURCE' && err.message.includes(dst));
    rmSync(join(src, 'a.txt'));
    rmSync(join(src, 'b.txt'));
    await assert.rejects(syncRemote(server(), src, dst, { maxDelete: 1 }), (err: Error & { code?: string }) => err.code === 'E_MAX_DELETE');
    assert.deepEqual(readTree(dst), before, 'nothing changed on the server, the root\'s mtime included, and no lock left');
  });

  it('with a backup folder, replaced and deleted files are moved there on the server', async () => {
    const src = writeTree(tmp(), { 'a.txt': 'old a', 'b.txt': 'old b', 'keep.txt': 'k' });
    const root = tmp();
    const dst = join(root, 'www');
    await syncRemote(server(), src, dst, { backupDir: '../backup' });
    writeFileSync(join(src, 'a.txt'), 'new a, longer');
    unlinkSync(join(src, 'b.txt'));
    const run = await syncRemote(server(), src, dst, { backupDir: '../backup' });
    assert.deepEqual(applied(run), []);
    assert.equal(readFileSync(join(dst, 'a.txt'), 'utf8'), 'new a, longer');
    assert.equal(readFileSync(join(root, 'backup', 'a.txt'), 'utf8'), 'old a');
    assert.equal(readFileSync(join(root, 'backup', 'b.txt'), 'utf8'), 'old b');
  });
});

describe('remote mirror: an SFTP-only account (whole-second mtimes)', { skip: skipReason }, () => {
  const server = useServer({ sftpOnly: true });

  it('mirrors exactly but for sub-second mtimes; a rerun compares to the second and does nothing', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    const first = await syncRemote(server(), src, dst);
    assert.equal(first.summary.mtimeStepUs, 1e6, 'the summary says mtimes are compared to the whole second');
    assert.deepEqual(applied(first), []);
    assert.deepEqual(readSeconds(dst), readSeconds(src));
    await assertRerunIdle(server(), src, dst);
    // Another size: a rewrite within the second of the last run keeps the same whole-second mtime, which a quick
    // check to the second cannot tell from the old file (as rsync's cannot).
    writeFileSync(join(src, 'with space', 'a b.txt'), 'SPACED OUT');
    renameSync(join(src, 'site', 's1'), join(src, 'site', 's1-renamed'));
    const third = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(third), []);
    assert.deepEqual(readSeconds(dst), readSeconds(src));
  });
});

/** A folder of links to every command on this machine but perl's: a PATH for an account with no perl. */
function pathWithoutPerl(): string {
  const bin = join(tmp(), 'bin');
  mkdirSync(bin);
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin']) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) if (!name.startsWith('perl') && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
  }
  return bin;
}

/** What a tree opened on `dst` found: its scan, sub-second mtimes, and whether the perl helper runs. */
async function probed(srv: SshServer, dst: string): Promise<{ scanMode: string; fineTimes: boolean; helper: boolean }> {
  const tree = await openTree(srv, dst);
  try {
    return { scanMode: tree.scanMode, fineTimes: tree.execCaps.fineTimes, helper: await tree.startHelper() };
  } finally {
    await tree.close();
  }
}

describe('remote mirror: an account that may run commands but has no perl (minimal Fedora and RHEL images)', { skip: skipReason }, () => {
  // The perl helper's command says perl did not start, and the probe goes on on a plain sh: find scans, and mtimes
  // are compared to the whole second (nothing sets sub-second ones).
  const server = useServer({ env: { PATH: pathWithoutPerl() } });

  it('scans with find on a plain sh, says whole seconds, mirrors exactly and converges', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    assert.deepEqual(await probed(server(), dst), { scanMode: 'exec', fineTimes: false, helper: false });
    const first = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(first), []);
    assert.equal(first.summary.mtimeStepUs, 1e6);
    assert.deepEqual(readSeconds(dst), readSeconds(src));
    await assertRerunIdle(server(), src, dst);
  });
});

describe('remote mirror: an account whose login prints before every command (a greeting on stdout)', { skip: skipReason }, () => {
  // What a login script prints reaches the helper's channel before perl does: bytes that look like answers (R, 1, a
  // NUL, a frame's O) must not be taken for them. The helper still starts and writes, to the microsecond.
  const server = useServer({ loginOutput: 'Welcome!\nR1\0O5\0Z0\0absync-perl 1C\n' });

  it('exec scan, files through perl, microsecond mtimes; a rerun does nothing', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    assert.deepEqual(await probed(server(), dst), { scanMode: 'exec', fineTimes: true, helper: true });
    const first = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(first), []);
    assert.equal(first.summary.mtimeStepUs, undefined, 'microsecond mtimes');
    assert.deepEqual(readTree(dst), readTree(src));
    await assertRerunIdle(server(), src, dst);
  });
});

describe('remote mirror: an account whose every command starts slowly (a heavy login shell)', { skip: skipReason }, () => {
  // Every command waits 1.5 s before it runs (sshd's forced command sleeps first), so the probe and the perl helper
  // answer late and a first copy's uploads start before them. The promise under attack: the files still get their
  // microsecond mtimes (the stamps wait for the probe), and the summary says so.
  const server = useServer({ slowShell: 1.5 });

  it('a first copy that did not wait for the probe is still exact to the microsecond; a rerun does nothing', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    const first = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(first), []);
    assert.equal(first.summary.mtimeStepUs, undefined, 'microsecond mtimes: the probe answered, late');
    assert.deepEqual(readTree(dst), readTree(src));
    await assertRerunIdle(server(), src, dst);
  });

  it('a shell that answers the probe later than the connect timeout: SFTP alone for the run, and the summary says why', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    // Each command takes 1.5 s to start: a 1 s connect timeout gives up on the probe (the connect is fast).
    const run = await syncRemote(server(), src, dst, { connectTimeout: 1000 });
    assert.deepEqual(applied(run), []);
    assert.equal(run.summary.mtimeStepUs, 1e6);
    assert.match(run.summary.mtimeStepWhy ?? '', /^the account's shell did not answer within 1 s; SFTP only for this run$/);
    assert.match(formatSummary(run.summary), /; mtimes compared to the whole second \(the account's shell did not answer within 1 s; SFTP only for this run\)$/);
    assert.deepEqual(readTree(dst, { mtimes: false }), readTree(src, { mtimes: false }));
    // With the default timeout the probe waits for the shell: microsecond mtimes again, and the next run says nothing.
    const again = await syncRemote(server(), src, dst);
    assert.equal(again.summary.mtimeStepUs, undefined);
    assert.equal(again.summary.mtimeStepWhy, undefined);
    assert.deepEqual(readTree(dst), readTree(src));
  });

  it('a resync with times to set (a folder, the root; then twelve folders) sets them exactly', async () => {
    const src = sourceTree();
    const dst = join(tmp(), 'www');
    await syncRemote(server(), src, dst);
    const micros = (p: string): bigint => lstatSync(p, { bigint: true }).mtimeNs / 1000n;
    utimesSync(join(dst, 'site', 's1'), 1_000_000, 1_000_000);
    const few = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(few), []);
    assert.deepEqual(readTree(dst), readTree(src));
    assert.equal(micros(dst), micros(src), 'the root gets the source root\'s microsecond back after the lock is gone');
    // Twelve folders: the same way, in batches.
    for (let d = 0; d < 12; d++) utimesSync(join(dst, 'site', `s${d}`), 1_000_000 + d, 1_000_000 + d);
    const many = await syncRemote(server(), src, dst);
    assert.deepEqual(applied(many), []);
    assert.deepEqual(readTree(dst), readTree(src));
    assert.equal(micros(dst), micros(src));
    await assertRerunIdle(server(), src, dst);
  });
});
