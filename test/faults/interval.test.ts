/** Long-running interval mode under faults: roots that disappear, slow runs, rotated logs. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absyncAsync } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

const read = (p: string): string => (existsSync(p) ? readFileSync(p, 'utf8') : '');
const count = (p: string, re: RegExp): number => read(p).split('\n').filter((l) => re.test(l)).length;

function start(args: string[]) {
  const child = absyncAsync(args);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

describe('interval mode under faults', () => {
  it('a vanished source is refused and logged, the destination is kept, and syncing resumes when it returns', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', 'd/b': 'b' });
    const dst = join(root, 'dst');
    const log = join(root, 'sync.log');
    const { child, exited } = start([src, dst, '1', log]);
    try {
      await until(() => count(log, /synced/) >= 1, 'first run');
      rmSync(src, { recursive: true });
      await until(() => count(log, /refused: source folder does not exist/) >= 1, 'a refused run');
      assert.equal(readFileSync(join(dst, 'a'), 'utf8'), 'a');
      assert.equal(readFileSync(join(dst, 'd/b'), 'utf8'), 'b');
      writeTree(src, { a: 'a', back: 'again' });
      await until(() => existsSync(join(dst, 'back')), 'the source to come back');
      await until(() => !existsSync(join(dst, 'd')), 'the old folder to go');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assertMirror(src, dst);
  });

  it('a deleted destination is recreated on the next run', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    const log = join(root, 'sync.log');
    const { child, exited } = start([src, dst, '1', log]);
    try {
      await until(() => count(log, /synced/) >= 1, 'first run');
      rmSync(dst, { recursive: true });
      await until(() => existsSync(join(dst, 'a')), 'the destination to be recreated');
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0);
    assertMirror(src, dst);
  });

  it('a run longer than the interval never overlaps: missed ticks are logged, not queued', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    const log = join(root, 'sync.log');
    const { child, exited } = start([src, dst, '1', log, '--lock-timeout', '30']);
    try {
      await until(() => count(log, /synced/) >= 1, 'first run');
      // Another process's lock makes the next run wait: that run outlasts several ticks.
      const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
      const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      writeFileSync(join(dst, '.absync.lock'), JSON.stringify({ pid: process.pid, host: hostname(), start: ticks, since: 'test' }));
      writeFileSync(join(src, 'b'), 'b');
      await until(() => count(log, /tick skipped: the previous run is still going/) >= 2, 'two missed ticks', 20_000);
      const synced = count(log, /synced/);
      unlinkSync(join(dst, '.absync.lock'));
      await until(() => existsSync(join(dst, 'b')), 'the waiting run to finish');
      await until(() => count(log, /synced/) >= synced + 1, 'its log line');
      // The missed ticks were not queued: at most one run follows right after.
      assert.ok(count(log, /synced/) <= synced + 2);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  it('a rotated or deleted log file is written anew; SIGHUP does not stop the run', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    const log = join(root, 'logs', 'sync.log');
    const { child, exited } = start([src, dst, '1', log]);
    try {
      await until(() => count(log, /synced/) >= 1, 'first run');
      renameSync(log, `${log}.1`);
      await until(() => count(log, /synced/) >= 1, 'a new log file after rotation');
      unlinkSync(log);
      child.kill('SIGHUP');
      await until(() => count(log, /SIGHUP: log file reopened/) >= 1, 'the SIGHUP line');
      await until(() => count(log, /synced/) >= 1, 'a run after SIGHUP');
      assert.equal(child.exitCode, null);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.match(read(`${log}.1`), /synced/);
  });
});
