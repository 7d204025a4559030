/**
 * Spool folders of a process killed before its exit hook ran (Ctrl-C in a gulp run) are removed by a later process:
 * only real folders of this user, whose process is gone, unchanged for an hour.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sweepStaleSpools } from '../../src/plugin/spool.js';
import { tmp } from '../helpers/tree.js';
import { NEEDS_SYMLINKS } from '../helpers/platform.js';

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
