/** What the local trees share about their root: what the platform stores, and creating a missing root. */
import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AbsyncError, describeError, isGone } from '../../errors.js';
import type { TreeCaps } from '../tree.js';

/**
 * The local platform's capabilities, before a run measures its destination (caps-probe.ts). Windows: libuv converts a
 * utimes time to 100 ns ticks through a double, which lands on a 1.6 us grid, so a stored mtime floors to at most 1 us
 * from the one set (measured with node.exe 20 under Wine: 734 of 2,000 random targets 1 us off, none further); modes
 * are not kept (a file's read-only attribute is all chmod sets there, and a folder's means nothing).
 */
export function localCaps(): TreeCaps {
  const windows = process.platform === 'win32';
  return {
    mtimeStepUs: 1,
    mtimeSlopUs: windows ? 1 : 0,
    modes: !windows,
    symlinks: true,
    caseInsensitive: windows || process.platform === 'darwin',
  };
}

/**
 * Makes a missing root (and its missing parents) when `create`; returns the folders it made, outermost first, so that
 * a refused run can remove them again. Throws E_DEST_UNWRITABLE when it cannot.
 */
export async function prepareRoot(root: string, create: boolean): Promise<string[]> {
  const missing: string[] = [];
  for (let p = root; ; p = dirname(p)) {
    const st = await lstat(p).catch((err: unknown) => {
      if (isGone(err)) return undefined;
      throw new AbsyncError('E_DEST_UNWRITABLE', `cannot use destination ${root}: ${describeError(err).message}`, root);
    });
    if (st) break;
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  if (missing.length === 0 || !create) return [];
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new AbsyncError('E_DEST_UNWRITABLE', `cannot create destination ${root}: ${describeError(err).message}`, root);
    }
  }
  return missing;
}
