/**
 * What a local destination really stores, measured once per run rather than guessed from the platform: a FAT or exFAT
 * disk, an SMB share or HFS+ keep coarser mtimes than the platform, a FAT mount on Linux refuses chmod, and whether
 * names that differ only in case are one entry depends on the disk (NTFS, APFS by default, Wine's drives), not on
 * the operating system.
 *
 * A real run measures on its own lock file, which it has just created in the root: it sets a known mtime and mode
 * and reads back what was kept, and looks the lock up under another case. A dry run writes nothing, so it only looks:
 * an entry of the root under another case, and on Linux the file system's type (statfs).
 */
import { fchmodSync, fstatSync, futimesSync, lstatSync, readdirSync, statfsSync, type BigIntStats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toUtimes } from '../../times.js';
import type { TreeCaps } from '../tree.js';
import { localCaps } from './root.js';

/**
 * The probe's mtimes, in microseconds since the epoch: an odd and an even second, each with a sub-second part no
 * coarser grid holds. Two are needed: one alone cannot tell a 1 s grid that rounds up from a 2 s grid.
 */
const PROBES_US = [1_000_000_001_234_567, 1_000_000_002_234_567];

/** Grids file systems store mtimes on, in microseconds: 10 ms (exFAT), 1 s (HFS+, ext3, some SMB), 2 s (FAT). */
const STEPS = [10_000, 1_000_000, 2_000_000];

/** Linux statfs magic numbers of the file systems whose limits a dry run can know without writing. */
const LINUX_FS: Record<number, Partial<TreeCaps>> = {
  0x4d44: { mtimeStepUs: 2_000_000, modes: false }, // vfat / msdos
  0x2011bab0: { mtimeStepUs: 10_000, modes: false }, // exfat
};

/** One probe: the mtime set, and the mtime the file system kept, in microseconds. */
export type MtimeSample = readonly [set: number, stored: number];

/**
 * The mtime grid and tolerance that explain what was kept: exact (or within the platform's slop), a coarser grid it
 * truncates to (no tolerance needed: both sides are compared truncated) or rounds on (one step of tolerance), or, when
 * nothing explains it, the largest distance measured.
 */
export function mtimeRulesFor(samples: readonly MtimeSample[], platformSlopUs: number): Pick<TreeCaps, 'mtimeStepUs' | 'mtimeSlopUs'> {
  const offs = samples.map(([set, stored]) => Math.abs(stored - set));
  if (offs.every((o) => o <= platformSlopUs)) return { mtimeStepUs: 1, mtimeSlopUs: platformSlopUs };
  for (const step of STEPS) {
    if (!samples.every(([set, stored]) => stored % step === 0 && Math.abs(stored - set) < step)) continue;
    return { mtimeStepUs: step, mtimeSlopUs: samples.every(([set, stored]) => stored <= set) ? 0 : step };
  }
  return { mtimeStepUs: 1, mtimeSlopUs: Math.max(...offs) };
}

function micros(st: BigIntStats): number {
  return Number(st.mtimeNs / 1000n);
}

/** Same entry (inode and device) under both names. */
function sameEntry(a: string, b: string): boolean | undefined {
  try {
    const x = lstatSync(a, { bigint: true });
    const y = lstatSync(b, { bigint: true });
    return x.ino === y.ino && x.dev === y.dev;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? false : undefined;
  }
}

function swapCase(name: string): string {
  let out = '';
  for (const ch of name) out += ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
  return out;
}

/** Whether `path` is found under its name in another case; undefined when its name has no letter with a case. */
function caseInsensitiveAt(path: string): boolean | undefined {
  const other = swapCase(basename(path));
  if (other === basename(path)) return undefined;
  return sameEntry(path, join(dirname(path), other));
}

/** The destination's capabilities, measured on the lock file this run created (open as `fd`, named `lockPath`). */
export function probeWithLock(fd: number, lockPath: string): TreeCaps {
  const base = localCaps();
  let mtime: Pick<TreeCaps, 'mtimeStepUs' | 'mtimeSlopUs'> = base;
  try {
    const samples = PROBES_US.map((us): MtimeSample => {
      futimesSync(fd, Date.now() / 1000, toUtimes(us / 1000));
      return [us, micros(fstatSync(fd, { bigint: true }))];
    });
    mtime = mtimeRulesFor(samples, base.mtimeSlopUs);
    // The lock's mtime says when it was written (a lock unreadable for long is stale): put it back.
    const now = Date.now() / 1000;
    futimesSync(fd, now, now);
  } catch {
    /* a disk that refuses times: the platform's rules, and every step will say what failed */
  }
  // Windows keeps no modes (only the read-only attribute, which Node maps to the write bit): localCaps says so.
  let modes = base.modes;
  if (modes) {
    try {
      fchmodSync(fd, 0o640);
      modes = Number(fstatSync(fd).mode & 0o777) === 0o640;
      fchmodSync(fd, 0o644);
    } catch {
      modes = false;
    }
  }
  return { ...base, ...mtime, modes, caseInsensitive: caseInsensitiveAt(lockPath) ?? base.caseInsensitive };
}

/** The destination's capabilities as far as they can be known without writing (a dry run): case and, on Linux, statfs. */
export function probeReadOnly(root: string): TreeCaps {
  const base = localCaps();
  let known: Partial<TreeCaps> = {};
  if (process.platform === 'linux') {
    try {
      known = LINUX_FS[statfsSync(root).type] ?? {};
    } catch {
      /* no root yet: the platform's rules */
    }
  }
  let caseInsensitive: boolean | undefined;
  try {
    const names = readdirSync(root);
    const listed = new Set(names);
    for (const name of names) {
      const other = swapCase(name);
      if (other === name || listed.has(other)) continue;
      caseInsensitive = sameEntry(join(root, name), join(root, other));
      if (caseInsensitive !== undefined) break;
    }
  } catch {
    /* no root yet */
  }
  return { ...base, ...known, caseInsensitive: caseInsensitive ?? base.caseInsensitive };
}
