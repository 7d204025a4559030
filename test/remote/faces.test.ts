/**
 * Every face with a remote destination, against a real OpenSSH server: the installed bin (copy, update, delete,
 * rename, dry run, host keys, a bad identity, a connection dropped mid-copy), the gulp plugin in a real gulp stream,
 * absyncTask in gulp.series, and absyncWatch mirroring one change. The bin runs with a HOME of its own and no
 * ssh-agent, so nothing of this machine's ~/.ssh is read.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { describe, it } from 'node:test';
import gulp from 'gulp';
import { absync, absyncTask, absyncWatch, type Summary } from '../../src/index.js';
import { isTempName } from '../../src/engine/index.js';
import { CLI, REPO } from '../helpers/cli.js';
import { auth, readSeconds, remoteDest, skipReason, useServer } from '../helpers/remote.js';
import type { SshServer } from '../helpers/sshd.js';
import { readTree, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

/** The bin's environment: a HOME of its own (no ~/.ssh of this machine) and no agent. */
function isolated(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: tmp() };
  delete env.SSH_AUTH_SOCK;
  return env;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function bin(args: readonly string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO, env: isolated(), timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI's flags for the test server: its key, its known_hosts, its port. */
function flags(srv: SshServer, knownHosts = srv.knownHosts): string[] {
  return ['--identity', srv.key, '--known-hosts', knownHosts, '--ssh-port', String(srv.port)];
}

function lastJson(r: Run): Record<string, unknown> {
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

describe('remote faces: the absync bin', { skip: skipReason }, () => {
  const server = useServer();

  it('absync site user@host:/path copies, updates, deletes and detects a renamed folder; a dry run changes nothing', { timeout: 120_000 }, () => {
    const srv = server();
    const site = writeTree(tmp(), { 'index.html': '<h1>hi</h1>', 'css/site.css': 'body{}', 'old.txt': 'old', 'blog/a.html': 'a', 'blog/b.html': 'b', 'blog/c.html': 'c' });
    const dst = join(tmp(), 'www');
    const first = bin([site, remoteDest(srv, dst), ...flags(srv), '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(readTree(dst), readTree(site));
    assert.equal(lastJson(first).copied, 6);
    const ino = lstatSync(join(dst, 'blog', 'a.html')).ino;

    writeFileSync(join(site, 'index.html'), '<h1>HELLO</h1>');
    unlinkSync(join(site, 'old.txt'));
    renameSync(join(site, 'blog'), join(site, 'posts'));
    const dry = bin([site, remoteDest(srv, dst), ...flags(srv), '-n']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run \(nothing changed\)/);
    assert.equal(readFileSync(join(dst, 'index.html'), 'utf8'), '<h1>hi</h1>', 'the dry run changed nothing');
    assert.ok(existsSync(join(dst, 'old.txt')));

    const second = bin([site, remoteDest(srv, dst), ...flags(srv), '-v', '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(readTree(dst), readTree(site));
    const summary = lastJson(second);
    assert.equal(summary.updated, 1);
    assert.equal(summary.deleted, 1);
    assert.ok((summary.moved as number) >= 1, JSON.stringify(summary));
    assert.equal(lstatSync(join(dst, 'posts', 'a.html')).ino, ino, 'the folder was renamed on the server, not copied again');
    const again = bin([site, remoteDest(srv, dst), ...flags(srv), '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual({ copied: lastJson(again).copied, updated: lastJson(again).updated }, { copied: 0, updated: 0 });
  });

  it('an unknown host is refused (exit 2, one line naming host and file, nothing created); --accept-new-host-key records it', { timeout: 60_000 }, () => {
    const srv = server();
    const site = writeTree(tmp(), { 'a.txt': 'a' });
    const dst = join(tmp(), 'www');
    const known = join(tmp(), 'known_hosts');
    writeFileSync(known, '');
    const refused = bin([site, remoteDest(srv, dst), ...flags(srv, known)]);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`host \\[127\\.0\\.0\\.1\\]:${srv.port} is not in ${known}; refusing an unknown host \\(--accept-new-host-key trusts and records it\\)`));
    assert.equal(existsSync(dst), false, 'nothing created on the server');
    assert.equal(readFileSync(known, 'utf8'), '');

    const accepted = bin([site, remoteDest(srv, dst), ...flags(srv, known), '--accept-new-host-key']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(readFileSync(known, 'utf8').trim(), `[127.0.0.1]:${srv.port} ${srv.hostKey}`);
    assert.equal(readFileSync(join(dst, 'a.txt'), 'utf8'), 'a');
    // Known now: no flag needed.
    assert.equal(bin([site, remoteDest(srv, dst), ...flags(srv, known)]).code, 0);
  });

  it('a changed host key and a bad identity file are refused with exit 2, naming the host, the file or the key', { timeout: 60_000 }, () => {
    const srv = server();
    const site = writeTree(tmp(), { 'a.txt': 'a' });
    const dst = join(tmp(), 'www');
    const known = join(tmp(), 'known_hosts');
    // Another server's key under this host and port.
    writeFileSync(known, `[127.0.0.1]:${srv.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhInIVG0D8qRLHnieyyiVT0RX9GKIMnE414uGJkdEEk\n`);
    for (const accept of [[], ['--accept-new-host-key']]) {
      const r = bin([site, remoteDest(srv, dst), ...flags(srv, known), ...accept]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`host key for \\[127\\.0\\.0\\.1\\]:${srv.port} does not match the one in ${known} \\(line 1\\); refusing to connect`));
    }
    const missing = join(tmp(), 'no-such-key');
    const noKey = bin([site, remoteDest(srv, dst), '--identity', missing, '--known-hosts', srv.knownHosts, '--ssh-port', String(srv.port)]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, new RegExp(`identity key file ${missing} does not exist`));
    const garbage = join(tmp(), 'garbage-key');
    writeFileSync(garbage, 'not a key\n');
    const bad = bin([site, remoteDest(srv, dst), '--identity', garbage, '--known-hosts', srv.knownHosts, '--ssh-port', String(srv.port)]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`cannot use identity key file ${garbage}`));
    assert.equal(existsSync(dst), false, 'nothing created on the server');
  });

  it('bad remote input is one line and exit 2: a malformed destination, a remote source, a missing remote parent without --mkpath', { timeout: 60_000 }, () => {
    const srv = server();
    const site = writeTree(tmp(), { 'a.txt': 'a' });
    const port = bin([site, 'sftp://root@127.0.0.1:99999/x', ...flags(srv)]);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /invalid remote destination "sftp:\/\/root@127\.0\.0\.1:99999\/x": port must be 1-65535/);
    const source = bin([`${srv.user}@127.0.0.1:/srv`, site, ...flags(srv)]);
    assert.equal(source.code, 2);
    assert.match(source.stderr, /is on another machine: only destinations may be remote/);
    const parent = join(tmp(), 'missing', 'www');
    const noParent = bin([site, remoteDest(srv, parent), ...flags(srv)]);
    assert.equal(noParent.code, 2);
    assert.match(noParent.stderr, /the parent folder of destination .*missing\/www does not exist \(--mkpath creates it\)/);
    assert.equal(existsSync(join(parent, '..')), false);
    assert.equal(bin([site, remoteDest(srv, parent), ...flags(srv), '--mkpath']).code, 0);
    assert.equal(readFileSync(join(parent, 'a.txt'), 'utf8'), 'a');
  });

  it('interval mode into a remote destination: each run connects anew, so a server session killed between runs costs nothing', { timeout: 90_000 }, async () => {
    const srv = server();
    const root = tmp();
    const site = writeTree(join(root, 'site'), { 'a.txt': 'a' });
    const dst = join(tmp(), 'www');
    const log = join(root, 'logs', 'deploy.log');
    const child = spawn(process.execPath, [CLI, site, remoteDest(srv, dst), '1', log, ...flags(srv)], { cwd: REPO, env: isolated(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const read = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    try {
      await until(() => existsSync(join(dst, 'a.txt')), 'the first run', 60_000);
      // Whatever session is open now (a run in flight) is killed; the next tick opens its own.
      for (const pid of srv.sessions()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          // A session that ended between the listing and the kill (a run finishing) is fine.
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
      writeFileSync(join(site, 'b.txt'), 'b');
      await until(() => existsSync(join(dst, 'b.txt')), 'a later tick to copy b.txt', 60_000);
      await until(() => read().split('\n').filter((l) => / synced .*copied 1,/.test(l)).length >= 2, 'a log line per run that copied', 60_000);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.equal(readFileSync(join(dst, 'b.txt'), 'utf8'), 'b');
    assert.match(read(), /stopped\n?$/);
  });

  it('a connection dropped mid-copy: exit 1, every file old or new; the next run converges', { timeout: 120_000 }, async () => {
    const srv = server();
    const site = tmp();
    const dst = tmp();
    const fresh = new Map<string, Buffer>();
    for (let i = 0; i < 600; i++) {
      mkdirSync(join(site, `d${i % 6}`), { recursive: true });
      const data = randomBytes(16 * 1024);
      writeFileSync(join(site, `d${i % 6}`, `f${i}.bin`), data);
      fresh.set(`d${i % 6}/f${i}.bin`, data);
    }
    mkdirSync(join(dst, 'd1'));
    const child = spawn(process.execPath, [CLI, site, remoteDest(srv, dst), ...flags(srv), '--files-in-flight', '8', '--concurrency', '4'], { cwd: REPO, env: isolated(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => readdirSync(join(dst, 'd1')).filter((n) => !isTempName(n)).length > 20, 'files being copied', 60_000);
    const sessions = srv.sessions();
    assert.equal(sessions.length, 1, 'one connection per run');
    process.kill(sessions[0] as number, 'SIGKILL');
    assert.equal(await exited, 1, stderr);
    assert.match(stderr, /failed: .*connection to .* lost/);
    let news = 0;
    for (const d of readdirSync(dst)) {
      if (d.startsWith('.absync')) continue;
      for (const name of readdirSync(join(dst, d))) {
        if (isTempName(name)) continue;
        assert.ok(fresh.get(`${d}/${name}`)?.equals(readFileSync(join(dst, d, name))), `${d}/${name} is whole`);
        news++;
      }
    }
    assert.ok(news > 0 && news < fresh.size, `${news} of ${fresh.size} copied before the drop`);
    const next = bin([site, remoteDest(srv, dst), ...flags(srv)]);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(readTree(dst), readTree(site));
  });
});

describe('remote faces: gulp plugin, task and watch', { skip: skipReason }, () => {
  const server = useServer({ sftpOnly: true });

  it('absync(\'user@host:/path\') in a real gulp stream mirrors the stream and passes the files on, tagged', { timeout: 60_000 }, async () => {
    const srv = server();
    const site = writeTree(tmp(), { 'index.html': 'home', 'js/app.js': 'app()', 'img/logo.svg': '<svg/>' });
    const dst = join(tmp(), 'www');
    writeTree(dst, { 'stale.txt': 'gone soon' });
    const summaries: Summary[] = [];
    const seen: string[] = [];
    const stream = gulp.src(join(site, '**'), { dot: true, encoding: false })
      .pipe(absync(remoteDest(srv, dst), auth(srv)))
      .on('summary', (s: Summary) => summaries.push(s))
      .on('data', (f: { relative: string; absync?: { action: string } }) => seen.push(`${f.relative.split('\\').join('/')} ${f.absync?.action ?? ''}`));
    await finished(stream);
    assert.deepEqual(readSeconds(dst), readSeconds(site), 'stale.txt deleted, the rest mirrored (mtimes to the second)');
    assert.ok(seen.includes('index.html copied'), seen.join(', '));
    assert.equal(summaries.length, 1);
    assert.equal(summaries[0]?.deleted, 1);
    assert.equal(summaries[0]?.mtimeStepUs, 1e6);
  });

  it('absyncTask in gulp.series and absyncWatch mirror into the server; the watch picks up one change, then stops', { timeout: 90_000 }, async () => {
    const srv = server();
    const source = writeTree(tmp(), { 'a.txt': 'a', 'sub/b.txt': 'b' });
    const taskDst = join(tmp(), 'task');
    const lines: string[] = [];
    const task = absyncTask({ source, destination: remoteDest(srv, taskDst), ...auth(srv), log: (l) => lines.push(l) });
    await new Promise<void>((resolve, reject) => gulp.series(task)((err?: unknown) => (err ? reject(err) : resolve())));
    assert.equal(readFileSync(join(taskDst, 'sub', 'b.txt'), 'utf8'), 'b');
    assert.match(lines.join('\n'), /mtimes compared to the whole second \(SFTP-only server\)/);

    const watchDst = join(tmp(), 'watch');
    const w = absyncWatch({ source, destination: remoteDest(srv, watchDst), ...auth(srv), debounce: 50, log: false });
    try {
      const first = await w.nextRun();
      assert.equal(first.summary?.copied, 2, JSON.stringify(first.error ?? first.summary));
      await w.ready;
      await w.idle();
      writeFileSync(join(source, 'sub', 'c.txt'), 'new');
      await until(() => existsSync(join(watchDst, 'sub', 'c.txt')), 'the change mirrored', 60_000);
      assert.equal(readFileSync(join(watchDst, 'sub', 'c.txt'), 'utf8'), 'new');
    } finally {
      await w.close();
    }
  });
});
