/**
 * Spool folders of a process killed before its exit hook ran (Ctrl-C in a gulp run) are removed by a later process:
 * only real folders of this user, whose process is gone, unchanged for an hour.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { SpoolDir, sweepStaleSpools } from '../../src/plugin/spool.js';
import { tmp } from '../helpers/tree.js';
import { NEEDS_SYMLINKS } from '../helpers/platform.js';
import { until } from '../helpers/wait.js';

test('stale spool folders of processes that are gone are swept; live, recent, foreign and linked ones stay', () => {
  const dir = tmp();
  const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
  const hoursAgo = (h: number): number => Date.now() / 1000 - h * 3600;
  const folder = (name: string, age: number): string => {
    const path = join(dir, name);
    mkdirSync(path);
    writeFileSync(join(path, '0'), 'spooled bytes');
    utimesSync(path, hoursAgo(age), hoursAgo(age));
    return path;
  };
  folder(`absync-spool-${dead}-stale1`, 2);
  folder(`absync-spool-${process.ppid}-alive`, 2);
  folder(`absync-spool-${process.pid}-mine`, 2);
  folder(`absync-spool-${dead}-recent`, 0);
  folder(`absync-spool-other-name`, 2);
  folder(`not-a-spool-${dead}-x`, 2);
  const kept = [`absync-spool-${process.ppid}-alive`, `absync-spool-${process.pid}-mine`, `absync-spool-${dead}-recent`, 'absync-spool-other-name', `not-a-spool-${dead}-x`];
  if (process.getuid?.() === 0) {
    const foreign = folder(`absync-spool-${dead}-foreign`, 2);
    chownSync(foreign, 65534, 65534);
    kept.push(`absync-spool-${dead}-foreign`);
  }
  const outside = tmp();
  writeFileSync(join(outside, 'keep.txt'), 'outside');
  if (!NEEDS_SYMLINKS) {
    symlinkSync(outside, join(dir, `absync-spool-${dead}-link`));
    kept.push(`absync-spool-${dead}-link`);
  }
  sweepStaleSpools(dir);
  assert.deepEqual(readdirSync(dir).sort(), kept.sort());
  assert.ok(existsSync(join(outside, 'keep.txt')), 'nothing through a link');
});

test('a gulp run stopped by Ctrl-C leaves its spool folder; the next process to spool removes it once it is an hour old', async () => {
  const dir = tmp();
  const env = { ...process.env, TMPDIR: dir, TEMP: dir, TMP: dir };
  const spool = new URL('../../src/plugin/spool.js', import.meta.url).href;
  // A process that spools a stream and then waits, as a gulp run does in the middle of a flush.
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    import { Readable } from 'node:stream';
    const { SpoolDir } = await import(${JSON.stringify(spool)});
    await new SpoolDir().spool(Readable.from([Buffer.from('bytes of a stream')]));
    console.log('spooled');
    setInterval(() => undefined, 1000);
  `], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => out.includes('spooled'), 'the child to spool', 20_000);
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await gone;
  const left = readdirSync(dir);
  assert.equal(left.length, 1, 'the killed run left its spool folder');
  assert.ok(left[0]?.startsWith(`absync-spool-${child.pid}-`), `named after its process: ${left[0]}`);
  utimesSync(join(dir, left[0] as string), Date.now() / 1000 - 2 * 3600, Date.now() / 1000 - 2 * 3600);
  const saved = { TMPDIR: process.env['TMPDIR'], TEMP: process.env['TEMP'], TMP: process.env['TMP'] };
  Object.assign(process.env, { TMPDIR: dir, TEMP: dir, TMP: dir });
  const next = new SpoolDir();
  try {
    await next.spool(Readable.from([Buffer.from('the next run')]));
    const now = readdirSync(dir);
    assert.equal(now.length, 1);
    assert.ok(now[0]?.startsWith(`absync-spool-${process.pid}-`), `only the new run's folder is left: ${now.join(', ')}`);
  } finally {
    await next.remove();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
