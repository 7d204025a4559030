/**
 * Lists a tree with lstat, never following symlinks and never expanding globs. Synchronous on purpose: on this
 * machine a sync readdir + lstat loop is about twice as fast as a promise pool (see shared/PERFORMANCE.md), and the
 * two sides can be scanned in parallel on two threads (scan-both.ts).
 *
 * Each folder is listed through a folder handle (folders.ts): on Linux opened one component at a time without following
 * links, so a folder swapped for a link is never listed through it (it becomes a problem entry: nothing below it is
 * trusted, nothing below it deleted). Without /proc, a folder is looked at again after listing, and one that is no
 * longer the same folder becomes that problem entry. Names are read as bytes, so a name that is not valid UTF-8 is
 * reported, never confused with its U+FFFD twin.
 */
import { lstatSync, readdirSync, readlinkSync, type Dirent } from 'node:fs';
import { describeError, isGone } from '../../errors.js';
import { joinRel, toAbs } from '../../paths.js';
import { isTempName, LOCK_NAME, reservedReason, TAKEOVER_NAME } from '../../reserved.js';
import { NO_FILTER, type PathFilter } from '../../scan/filter.js';
import { toEntry } from '../../scan/to-entry.js';
import type { DirEntry, Entry, RelPath, ScanWarning, Snapshot } from '../../types.js';
import { type Folder, FolderOpener, procFolders, UnsafePathError } from './folders.js';

export type Side = 'source' | 'destination';

/** A folder that became a link (or something else) while the scan looked at it. */
const REPLACED: Entry = { kind: 'problem', code: 'ELOOP', message: 'the folder was replaced while it was scanned; skipped until the next run' };

/** The name as a string, or undefined when its bytes are not valid UTF-8 (decoding would change them). */
function decodeName(raw: Buffer): string | undefined {
  const name = raw.toString('utf8');
  if (!name.includes('\uFFFD')) return name;
  return Buffer.from(name, 'utf8').equals(raw) ? name : undefined;
}

/**
 * Scans `root` (which must be a readable folder; the caller checks) and returns every entry below it. With `scope`,
 * only those paths (and everything below the folders among them) are scanned, plus their parent folders: an
 * incremental run for a watcher that knows what changed.
 */
/** How names are keyed: as listed, or (macOS, whose HFS+ disks hand back NFD) by their NFC form. */
export interface NameRules {
  readonly nfc: boolean;
}

/**
 * macOS: HFS+ stores names decomposed (NFD) whatever was written, and APFS finds a name in either form, so a name
 * written as NFC reads back as NFD and would look changed on every run. Names are keyed by their NFC form there (the
 * disk finds the entry by it); two names of one folder that differ only in normalization are one name on those disks.
 */
const PLATFORM_NAMES: NameRules = { nfc: process.platform === 'darwin' };

/**
 * A link's target as compared: on Windows with `/`, since Windows stores `\` whatever was written (Node turns `/` into
 * `\` when it makes a link there), so a mirrored Linux link would otherwise look changed on every run.
 */
const linkText: (target: string) => string = process.platform === 'win32' ? (t) => t.split('\\').join('/') : (t) => t;

export function scanTree(root: string, side: Side, filter: PathFilter = NO_FILTER, only?: readonly RelPath[], names: NameRules = PLATFORM_NAMES): Snapshot {
  const scope = only && !only.includes('') ? topmost(only) : undefined;
  const entries = new Map<RelPath, Entry>();
  const excluded: RelPath[] = [];
  const leftovers: RelPath[] = [];
  const warnings: ScanWarning[] = [];
  const rootEntry = toEntry(lstatSync(root, { bigint: true }), () => '');
  const stack: RelPath[] = scope ? [] : [''];
  const opener = procFolders() ? new FolderOpener(root, `${side} folder`) : undefined;
  /** The folder `dir` opened for listing, or a problem (it is not a real folder any more), or undefined (gone). */
  const openFolder = (dir: RelPath): Folder | Entry | undefined => {
    if (!opener) return { at: (name: string) => toAbs(root, joinRel(dir, name)), close: () => undefined };
    // The root itself: an error there is the run's (the caller reports that the root cannot be listed).
    if (dir === '') return opener.open('');
    try {
      return opener.open(dir);
    } catch (err) {
      if (isGone(err)) return undefined;
      if (err instanceof UnsafePathError) return REPLACED;
      return { kind: 'problem', ...describeError(err) };
    }
  };

  /** Adds one entry (unless filtered, reserved or gone); returns it. */
  const visit = (dir: RelPath, name: string, isDir: boolean, folder: Folder): Entry | undefined => {
    const path = joinRel(dir, name);
    const temp = isTempName(name);
    if (dir === '' && (name === LOCK_NAME || name === TAKEOVER_NAME)) {
      if (side === 'source') warnings.push({ path, message: reservedReason(name) });
      return undefined;
    }
    if (temp && side === 'source') {
      warnings.push({ path, message: reservedReason(name) });
      return undefined;
    }
    if (filter.active && filter.excludes(path, isDir)) {
      excluded.push(path);
      return undefined;
    }
    const abs = folder.at(name);
    let entry: Entry;
    try {
      entry = toEntry(lstatSync(abs, { bigint: true }), () => linkText(readlinkSync(abs)));
    } catch (err) {
      if (isGone(err)) return undefined;
      entry = { kind: 'problem', ...describeError(err) };
    }
    // A leftover is a file or link with an engine-made name; anything else by that name is the user's.
    if (temp && (entry.kind === 'file' || entry.kind === 'symlink')) {
      leftovers.push(path);
      return undefined;
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
      let e = entries.get(here);
      if (!e) {
        const folder = openFolder(dir);
        if (!folder || !('at' in folder)) break;
        try {
          e = here === path ? visit(dir, name, false, folder) : visitParent(dir, name, folder);
        } finally {
          folder.close();
        }
      }
      if (!e || e.kind !== 'dir') break;
      dir = here;
    }
  }

  function visitParent(dir: RelPath, name: string, folder: Folder): Entry | undefined {
    const e = visit(dir, name, true, folder);
    // A parent is listed for its own attributes only; its other children are out of scope.
    if (e?.kind === 'dir') stack.pop();
    return e;
  }

  /** Still the folder the scan saw (or the root): a folder swapped for a link while it was listed is not. */
  const sameFolder = (dir: RelPath): boolean => {
    const was = dir === '' ? rootEntry : entries.get(dir);
    try {
      const st = lstatSync(toAbs(root, dir), { bigint: true });
      return st.isDirectory() && (was?.kind !== 'dir' || (was as DirEntry).ino === Number(st.ino) || (was as DirEntry).ino === 0);
    } catch {
      return false;
    }
  };

  while (stack.length > 0) {
    const dir = stack.pop() as RelPath;
    const folder = openFolder(dir);
    if (!folder || !('at' in folder)) {
      if (folder) entries.set(dir, folder);
      else entries.delete(dir);
      continue;
    }
    try {
      let list: Dirent<Buffer>[];
      try {
        list = readdirSync(folder.at(''), { withFileTypes: true, encoding: 'buffer' });
      } catch (err) {
        if (dir === '') throw Object.assign(err as Error, { path: root });
        if (isGone(err)) entries.delete(dir);
        else entries.set(dir, { kind: 'problem', ...describeError(err) });
        continue;
      }
      if (!opener && dir !== '' && !sameFolder(dir)) {
        entries.set(dir, REPLACED);
        continue;
      }
      const seen = names.nfc ? new Set<string>() : undefined;
      for (const dirent of list) {
        let name = decodeName(dirent.name);
        if (name === undefined) {
          warnings.push({ path: joinRel(dir, dirent.name.toString('utf8')), message: 'name is not valid UTF-8; skipped' });
          continue;
        }
        if (seen) {
          const key = name.normalize('NFC');
          if (seen.has(key)) {
            warnings.push({ path: joinRel(dir, name), message: `differs from ${JSON.stringify(key)} only in Unicode normalization, which macOS treats as one name; skipped` });
            continue;
          }
          seen.add(key);
          name = key;
        }
        visit(dir, name, dirent.isDirectory(), folder);
      }
    } finally {
      folder.close();
    }
  }
  opener?.close();
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
