/**
 * Lists a tree with lstat, never following symlinks and never expanding globs. Synchronous on purpose: on this
 * machine a sync readdir + lstat loop is about twice as fast as a promise pool (see shared/PERFORMANCE.md), and the
 * two sides can be scanned in parallel on two threads (scan-both.ts).
 */
import { lstatSync, readdirSync, readlinkSync, type Dirent } from 'node:fs';
import { describeError, isGone } from '../errors.js';
import { joinRel, toAbs } from '../paths.js';
import type { Entry, RelPath, ScanWarning, Snapshot } from '../types.js';
import { NO_FILTER, type PathFilter } from './filter.js';
import { isTempName, LOCK_NAME } from '../reserved.js';
import { toEntry } from './to-entry.js';

export type Side = 'source' | 'destination';


/** Scans `root` (which must be a readable folder; the caller checks) and returns every entry below it. */
export function scanTree(root: string, side: Side, filter: PathFilter = NO_FILTER): Snapshot {
  const entries = new Map<RelPath, Entry>();
  const excluded: RelPath[] = [];
  const leftovers: string[] = [];
  const warnings: ScanWarning[] = [];
  const stack: RelPath[] = [''];
  const rootStat = lstatSync(root, { bigint: true });
  const rootEntry = toEntry(rootStat, () => '');

  while (stack.length > 0) {
    const dir = stack.pop() as RelPath;
    const dirAbs = toAbs(root, dir);
    let list: Dirent[];
    try {
      list = readdirSync(dirAbs, { withFileTypes: true });
    } catch (err) {
      if (dir === '') throw err;
      if (isGone(err)) entries.delete(dir);
      else entries.set(dir, { kind: 'problem', ...describeError(err) });
      continue;
    }
    for (const dirent of list) {
      const name = dirent.name;
      if (isTempName(name)) {
        if (side === 'destination') leftovers.push(toAbs(dirAbs, name));
        continue;
      }
      if (dir === '' && name === LOCK_NAME) continue;
      const path = joinRel(dir, name);
      if (filter.active && filter.excludes(path, dirent.isDirectory())) {
        excluded.push(path);
        continue;
      }
      const abs = toAbs(dirAbs, name);
      let entry: Entry;
      try {
        const st = lstatSync(abs, { bigint: true });
        entry = toEntry(st, () => readlinkSync(abs));
      } catch (err) {
        if (isGone(err)) {
          // U+FFFD in a name that lstat cannot find: the name on disk is not valid UTF-8.
          if (name.includes('\uFFFD')) warnings.push({ path, message: 'name is not valid UTF-8; skipped' });
          continue;
        }
        entry = { kind: 'problem', ...describeError(err) };
      }
      entries.set(path, entry);
      if (entry.kind === 'dir') stack.push(path);
    }
  }
  return { root, entries, excluded, leftovers, warnings, ...(rootEntry.kind === 'dir' ? { rootEntry } : {}) };
}
