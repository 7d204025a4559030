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


/**
 * Scans `root` (which must be a readable folder; the caller checks) and returns every entry below it. With `scope`,
 * only those paths (and everything below the folders among them) are scanned, plus their parent folders: an
 * incremental run for a watcher that knows what changed.
 */
export function scanTree(root: string, side: Side, filter: PathFilter = NO_FILTER, only?: readonly RelPath[]): Snapshot {
  const scope = only && !only.includes('') ? topmost(only) : undefined;
  const entries = new Map<RelPath, Entry>();
  const excluded: RelPath[] = [];
  const leftovers: string[] = [];
  const warnings: ScanWarning[] = [];
  const rootEntry = toEntry(lstatSync(root, { bigint: true }), () => '');
  const stack: RelPath[] = scope ? [] : [''];

  /** Adds one entry (unless filtered, reserved or gone); returns it. */
  const visit = (dir: RelPath, name: string, isDir: boolean): Entry | undefined => {
    const dirAbs = toAbs(root, dir);
    if (isTempName(name)) {
      if (side === 'destination') leftovers.push(toAbs(dirAbs, name));
      return undefined;
    }
    if (dir === '' && name === LOCK_NAME) return undefined;
    const path = joinRel(dir, name);
    if (filter.active && filter.excludes(path, isDir)) {
      excluded.push(path);
      return undefined;
    }
    const abs = toAbs(dirAbs, name);
    let entry: Entry;
    try {
      entry = toEntry(lstatSync(abs, { bigint: true }), () => readlinkSync(abs));
    } catch (err) {
      if (isGone(err)) {
        // U+FFFD in a name that lstat cannot find: the name on disk is not valid UTF-8.
        if (name.includes('\uFFFD')) warnings.push({ path, message: 'name is not valid UTF-8; skipped' });
        return undefined;
      }
      entry = { kind: 'problem', ...describeError(err) };
    }
    entries.set(path, entry);
    if (entry.kind === 'dir') stack.push(path);
    return entry;
  };

  for (const path of scope ?? []) {
    // Parent folders first, so the planner sees where the path lives (and sets their mtimes).
    let dir = '';
    for (const name of path.split('/')) {
      const here = joinRel(dir, name);
      const e = entries.get(here) ?? (here === path ? visit(dir, name, false) : visitParent(dir, name));
      if (!e || e.kind !== 'dir') break;
      dir = here;
    }
  }

  function visitParent(dir: RelPath, name: string): Entry | undefined {
    const e = visit(dir, name, true);
    // A parent is listed for its own attributes only; its other children are out of scope.
    if (e?.kind === 'dir') stack.pop();
    return e;
  }

  while (stack.length > 0) {
    const dir = stack.pop() as RelPath;
    let list: Dirent[];
    try {
      list = readdirSync(toAbs(root, dir), { withFileTypes: true });
    } catch (err) {
      if (dir === '') throw err;
      if (isGone(err)) entries.delete(dir);
      else entries.set(dir, { kind: 'problem', ...describeError(err) });
      continue;
    }
    for (const dirent of list) visit(dir, dirent.name, dirent.isDirectory());
  }
  return {
    root, entries, excluded, leftovers, warnings,
    ...(rootEntry.kind === 'dir' ? { rootEntry } : {}),
    ...(scope ? { scope } : {}),
  };
}

/** The given paths without those below another one of them; '' (the root) means everything. */
function topmost(paths: readonly RelPath[]): RelPath[] {
  const sorted = [...new Set(paths)].sort();
  const out: RelPath[] = [];
  for (const p of sorted) if (!out.some((q) => p === q || p.startsWith(`${q}/`))) out.push(p);
  return out;
}
