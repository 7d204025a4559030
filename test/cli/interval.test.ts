/** Interval mode: sync now, then every N seconds, log to a file, stop cleanly on SIGINT/SIGTERM. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, absyncAsync } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

const read = (p: string): string => (existsSync(p) ? readFileSync(p, 'utf8') : '');

describe('absync <src> <dst> <interval> <logfile>', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`syncs now and on every tick, logs each run, and ends cleanly on ${signal}`, async () => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { a: 'a' });
      const dst = join(root, 'dst');
      const log = join(root, 'logs', 'absync.log');
      const child = absyncAsync([src, dst, '1', log]);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await until(() => read(log).includes('synced'), 'the first run');
      assert.equal(readFileSync(join(dst, 'a'), 'utf8'), 'a');
      writeFileSync(join(src, 'b'), 'b');
      await until(() => existsSync(join(dst, 'b')), 'the next tick to copy b');
      await until(() => read(log).split('\n').filter((l) => l.includes('synced')).length >= 2, 'the second log line');
      child.kill(signal);
      assert.equal(await exited, 0);
      assertMirror(src, dst);
      assert.deepEqual(readdirSync(dst).filter((n) => n.startsWith('.absync')), []);
      const lines = read(log).trim().split('\n');
      assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z synced .* copied 1, updated 0, deleted 0/);
      assert.match(lines[lines.length - 1] ?? '', /stopped$/);
    });
  }

  it('a single run appends a line to the log file, and failures too', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    const log = join(root, 'run.log');
    assert.equal(absync([src, dst, log]).code, 0);
    assert.equal(absync([src, dst, '0', log]).code, 0);
    const lines = read(log).trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /synced .*copied 1/);
  });

  it('a log file that cannot be written is a clear error at start', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', 'file': 'f' });
    const r = absync([src, join(root, 'dst'), '5', join(src, 'file', 'x.log')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot write log file .*x\.log/);
    assert.ok(!existsSync(join(root, 'dst')));
  });
});

describe('a log file inside the mirrored trees', () => {
  it('is left out of the mirror: not copied from the source, not deleted from the destination', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    assert.equal(absync([src, dst, join(src, 'logs', 'in-source.log')]).code, 0);
    assert.equal(absync([src, dst, join(src, 'logs', 'in-source.log')]).code, 0);
    assert.ok(!existsSync(join(dst, 'logs', 'in-source.log')));
    rmSync(join(src, 'logs'), { recursive: true });
    assert.equal(absync([src, dst, join(dst, 'in-dest.log')]).code, 0);
    assert.equal(absync([src, dst, join(dst, 'in-dest.log')]).code, 0);
    assert.equal(read(join(dst, 'in-dest.log')).trim().split('\n').length, 2);
  });
});

describe('--once', () => {
  it('makes one run even with an interval, and exits', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    const r = absync([src, dst, '3600', '--once']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dst, 'a'), 'utf8'), 'a');
  });
});

describe('interval mode keeps quiet runs quiet', () => {
  it('a run that changed nothing writes no line (the first run and runs with changes do); SIGHUP makes the next one write; -v writes all', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    const log = join(root, 'sync.log');
    const child = absyncAsync([src, dst, '0.2', log, '--json']);
    let jsonLines = 0;
    child.stdout.on('data', (d: Buffer) => (jsonLines += d.toString().split('\n').filter((l) => l.startsWith('{')).length));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const synced = (): number => read(log).split('\n').filter((l) => / synced /.test(l)).length;
    try {
      await until(() => jsonLines >= 4, 'four runs');
      assert.equal(synced(), 1, read(log));
      writeFileSync(join(src, 'b'), 'b');
      await until(() => synced() >= 2, 'the run that copied b to log its line');
      assert.match(read(log), /synced .* copied 1,/);
      const seen = jsonLines;
      await until(() => jsonLines >= seen + 3, 'three more quiet runs');
      assert.equal(synced(), 2);
      child.kill('SIGHUP');
      await until(() => synced() >= 3, 'a line after SIGHUP');
      assert.match(read(log), /SIGHUP: log file reopened/);
      // Rotated, and a new file started by some other line (a skipped tick, say) before the next run: that run still
      // writes its line into the new file.
      renameSync(log, `${log}.1`);
      writeFileSync(log, 'another line\n');
      await until(() => synced() >= 1, 'a line in the rotated log');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);

    const verbose = absyncAsync([src, join(root, 'dst2'), '0.2', join(root, 'verbose.log'), '-v']);
    const done = new Promise<number | null>((resolve) => verbose.on('exit', (code) => resolve(code)));
    try {
      await until(() => read(join(root, 'verbose.log')).split('\n').filter((l) => / synced .* copied 0,/.test(l)).length >= 2, 'quiet runs logged with -v');
    } finally {
      verbose.kill('SIGINT');
    }
    assert.equal(await done, 0);
  });
});
