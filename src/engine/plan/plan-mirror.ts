/**
 * The planner: a pure function of the two snapshots, the digests asked for by hashNeeds, and the rules.
 * No file system, clock or randomness here; order.ts puts the actions in the order apply runs them.
 */
import { baseName, parentOf } from '../paths.js';
import { TMP_PREFIX } from '../reserved.js';
import type {
  Action, CopyAction, DeleteAction, Digests, DirEntry, Entry, Failure, MkdirAction, MoveAction, Plan, RelPath,
  SetAttrsAction, Skip, Snapshot, SymlinkAction, UpdateAction,
} from '../types.js';
import { compareFiles, contentKey, sameMtime } from './compare.js';
import { fingerprintOf } from './fingerprint.js';
import { orderActions } from './order.js';
import { keepOf } from './keep.js';
import { findDirMoves, rebase } from './renames.js';

/** The options that shape a plan. */
export interface PlanRules {
  readonly checksum: boolean;
  readonly delete: boolean;
  readonly detectRenames: boolean;
  /** Destination entries that are never deleted or overwritten. */
  readonly isProtected?: (path: RelPath, isDir: boolean) => boolean;
  /**
   * Destination entries to leave as they are, each on its own: unlike `isProtected`, a kept folder does not keep
   * what lies below it. (The gulp plugin: entries a partial stream did not carry whose source still exists.)
   */
  readonly isKept?: (path: RelPath, isDir: boolean) => boolean;
}

export interface PlanInput {
  readonly source: Snapshot;
  readonly destination: Snapshot;
  readonly digests?: Digests;
}

const NO_DIGESTS: Digests = new Map();

type Content = CopyAction | UpdateAction;

export function planMirror(input: PlanInput, rules: PlanRules): Plan {
  const src = input.source.entries;
  const digests = input.digests ?? NO_DIGESTS;
  const { isProtected, blocked, pinned } = keepOf(input.source, input.destination, rules.isProtected, rules.isKept);

  const dirMoves = rules.detectRenames
    ? findDirMoves({ src, dst: input.destination.entries, digests, pinned, blocked })
    : [];
  const { entries: dst, origin } = rebase(input.destination.entries, dirMoves);
  const destDigest = (path: RelPath): string | undefined => digests.get(origin.get(path) ?? path)?.destination;

  const failures: Failure[] = [];
  const skipped: Skip[] = [];
  const removals: DeleteAction[] = [];
  const mkdirs: MkdirAction[] = [];
  const contents: Content[] = [];
  const links: SymlinkAction[] = [];
  const attrs: SetAttrsAction[] = [];
  const touched = new Set<RelPath>();
  const replaced = new Set<RelPath>();
  const touch = (path: RelPath): void => void touched.add(parentOf(path));
  const keeps = (path: RelPath, d: Entry): boolean =>
    d.kind === 'problem' || pinned.has(path) || blocked(path) || isProtected(path, d.kind === 'dir');

  for (const [path, s] of src) {
    if (s.kind === 'problem') {
      failures.push({ path, op: 'scan', code: s.code, message: `cannot read source: ${s.message}` });
      continue;
    }
    if (s.kind === 'special') {
      skipped.push({ path, message: `special file (${s.type}) skipped` });
      continue;
    }
    let d = dst.get(path);
    if (d?.kind === 'problem') {
      failures.push({ path, op: 'scan', code: d.code, message: `cannot read destination: ${d.message}` });
      continue;
    }
    if (d && d.kind !== s.kind) {
      if (keeps(path, d)) {
        skipped.push({ path, message: `destination ${d.kind} is protected or holds excluded entries; not replaced by a ${s.kind}` });
        continue;
      }
      removals.push({ op: 'delete', path, reason: 'type', expect: fingerprintOf(d) });
      replaced.add(path);
      touch(path);
      d = undefined;
    }
    if (s.kind === 'dir') {
      if (!d) {
        mkdirs.push({ op: 'mkdir', path, reason: 'missing', mode: s.mode });
        touch(path);
      }
    } else if (s.kind === 'file') {
      if (!d) {
        contents.push({ op: 'copy', path, reason: 'missing', source: s });
        touch(path);
        continue;
      }
      const df = d as Extract<Entry, { kind: 'file' }>;
      // Digests are looked up only in checksum mode: this loop runs once per file of the tree.
      const verdict = rules.checksum
        ? compareFiles(s, df, true, { source: digests.get(path)?.source, destination: destDigest(path) })
        : compareFiles(s, df, false);
      if (verdict !== 'same') {
        if (isProtected(path, false)) {
          skipped.push({ path, message: 'protected; not overwritten' });
          continue;
        }
        contents.push({ op: 'update', path, reason: verdict, source: s, expect: fingerprintOf(df) });
        touch(path);
      } else if (df.mode !== s.mode || !sameMtime(df.mtimeMs, s.mtimeMs)) {
        attrs.push({ op: 'setAttrs', path, kind: 'file', reason: df.mode !== s.mode ? 'mode' : 'mtime', mode: s.mode, mtimeMs: s.mtimeMs });
      }
    } else if (s.kind === 'symlink') {
      const dl = d as Extract<Entry, { kind: 'symlink' }> | undefined;
      if (!dl || dl.target !== s.target) {
        if (dl && isProtected(path, false)) {
          skipped.push({ path, message: 'protected; not overwritten' });
          continue;
        }
        links.push({
          op: 'symlink', path, reason: dl ? 'target' : 'missing', target: s.target, mtimeMs: s.mtimeMs,
          ...(dl ? { expect: fingerprintOf(dl) } : {}),
        });
        touch(path);
      } else if (!sameMtime(dl.mtimeMs, s.mtimeMs)) {
        attrs.push({ op: 'setAttrs', path, kind: 'symlink', reason: 'mtime', mtimeMs: s.mtimeMs });
      }
    }
  }

  if (rules.delete) {
    for (const [path, d] of dst) {
      if (src.has(path) || keeps(path, d)) continue;
      removals.push({ op: 'delete', path, reason: 'extraneous', expect: fingerprintOf(d) });
      touch(path);
    }
  }
  for (const [path, d] of dst) {
    if (d.kind === 'problem' && !src.has(path) && rules.delete && !blocked(path)) {
      failures.push({ path, op: 'delete', code: d.code, message: `cannot read destination: ${d.message}` });
    }
  }

  const moves = rules.detectRenames ? matchMoves() : { stage: [], unstage: [] };

  /** File-level moves: a removed or overwritten destination file whose content a copy or update needs. */
  function matchMoves(): { stage: MoveAction[]; unstage: MoveAction[] } {
    const donors = new Map<string, RelPath[]>();
    const addDonor = (path: RelPath): void => {
      const d = dst.get(path);
      const digest = destDigest(path);
      if (d?.kind !== 'file' || digest === undefined || isProtected(path, false)) return;
      const key = contentKey(d.size, digest);
      const list = donors.get(key);
      if (list) list.push(path);
      else donors.set(key, [path]);
    };
    for (const r of removals) addDonor(r.path);
    for (const c of contents) if (c.op === 'update') addDonor(c.path);
    const stage: MoveAction[] = [];
    const unstage: MoveAction[] = [];
    if (donors.size === 0) return { stage, unstage };

    const used = new Set<RelPath>();
    const movedInto = new Map<RelPath, RelPath>();
    for (const c of contents) {
      const digest = digests.get(c.path)?.source;
      if (digest === undefined) continue;
      const list = donors.get(contentKey(c.source.size, digest));
      if (!list) continue;
      const free = list.filter((q) => !used.has(q) && q !== c.path);
      const name = baseName(c.path);
      const donor = free.find((q) => baseName(q) === name) ?? free[0];
      if (donor === undefined) continue;
      used.add(donor);
      movedInto.set(c.path, donor);
    }
    if (movedInto.size === 0) return { stage, unstage };

    // Rewrite: donors leave first (so their deletes go), targets receive them instead of a copy.
    let i = 0;
    const tmpOf = new Map<RelPath, RelPath>();
    for (const donor of used) {
      const tmp = `${TMP_PREFIX}mv.${i++}`;
      tmpOf.set(donor, tmp);
      const d = dst.get(donor) as Entry;
      stage.push({ op: 'move', path: tmp, from: donor, reason: 'renamed', step: 'stage', expect: fingerprintOf(d) });
      touch(donor);
    }
    for (let k = removals.length - 1; k >= 0; k--) if (used.has((removals[k] as DeleteAction).path)) removals.splice(k, 1);
    for (let k = 0; k < contents.length; k++) {
      const c = contents[k] as Content;
      const donor = movedInto.get(c.path);
      if (donor !== undefined) {
        const d = dst.get(c.path);
        const occupied = d !== undefined && !used.has(c.path) && !replaced.has(c.path);
        unstage.push({
          op: 'move', path: c.path, from: tmpOf.get(donor) as RelPath, origin: donor, reason: 'renamed', step: 'unstage',
          ...(occupied ? { expect: fingerprintOf(d) } : {}),
        });
        const was = dst.get(donor) as Extract<Entry, { kind: 'file' }>;
        if (was.mode !== c.source.mode || !sameMtime(was.mtimeMs, c.source.mtimeMs)) {
          attrs.push({ op: 'setAttrs', path: c.path, kind: 'file', reason: 'renamed', mode: c.source.mode, mtimeMs: c.source.mtimeMs });
        }
        contents.splice(k--, 1);
      } else if (c.op === 'update' && used.has(c.path)) {
        // Its old content was moved away, so the new content lands on a free name.
        contents[k] = { op: 'copy', path: c.path, reason: c.reason, source: c.source };
      }
    }
    return { stage, unstage };
  }

  for (const m of dirMoves) {
    touch(m.from);
    touch(m.to);
  }
  const dirAttrs: SetAttrsAction[] = [];
  const needsDirAttrs = (path: RelPath, s: DirEntry, d: Entry | undefined): boolean =>
    d?.kind !== 'dir' || touched.has(path) || d.mode !== s.mode || !sameMtime(d.mtimeMs, s.mtimeMs);
  for (const [path, s] of src) {
    if (s.kind !== 'dir') continue;
    const d = replaced.has(path) ? undefined : dst.get(path);
    if (d?.kind === 'problem') continue;
    if (needsDirAttrs(path, s, d)) {
      dirAttrs.push({ op: 'setAttrs', path, kind: 'dir', reason: d ? 'mtime' : 'missing', mode: s.mode, mtimeMs: s.mtimeMs });
    }
  }
  // The root's mtime is fixed after the run (the lock file in it changes it); only its mode is planned here.
  const srcRoot = input.source.rootEntry;
  const dstRoot = input.destination.rootEntry;
  if (srcRoot && (touched.has('') || dstRoot?.mode !== srcRoot.mode)) {
    dirAttrs.push({ op: 'setAttrs', path: '', kind: 'dir', reason: 'mtime', mode: srcRoot.mode, mtimeMs: srcRoot.mtimeMs });
  }

  const folderMoves: MoveAction[] = dirMoves.map((m) => ({
    op: 'move', path: m.to, from: m.from, reason: 'renamed',
    expect: fingerprintOf(input.destination.entries.get(m.from) as Entry),
  }));

  const actions: Action[] = orderActions({
    folderMoves, stage: moves.stage, removals, mkdirs, unstage: moves.unstage, contents, links, attrs, dirAttrs,
  });
  let bytesToCopy = 0;
  for (const c of contents) bytesToCopy += c.source.size;
  return { actions, skipped, failures, bytesToCopy };
}
