/**
 * The file-move pass: a destination file that would be deleted or overwritten, and whose content (size + digest) a
 * copy or update needs, is moved there instead. Donors are staged to temporary slots before anything is deleted and
 * unstaged to their targets once folders exist, so swaps and chains never overwrite content still to be moved. Pure:
 * returns the rewritten lists.
 */
import { baseName } from '../paths.js';
import type { DeleteAction, Entry, FileEntry, RelPath, SetAttrsAction, StageAction, UnstageAction } from '../types.js';
import { contentKey } from './compare.js';
import type { PlanContext, Touched } from './context.js';
import { fingerprintOf } from './fingerprint.js';
import type { Content } from './pair.js';

export interface FileMoves {
  readonly stage: StageAction[];
  readonly unstage: UnstageAction[];
  /** Moved files whose mode or mtime must still be set. */
  readonly attrs: SetAttrsAction[];
  /** The copies and updates left once moves replace some (an update whose old content moved away is a copy). */
  readonly contents: Content[];
  /** The deletes left once donors move instead. */
  readonly removals: DeleteAction[];
}

export function fileMoves(ctx: PlanContext, contents: readonly Content[], removals: readonly DeleteAction[], replaced: ReadonlySet<RelPath>, touched: Touched): FileMoves {
  const unchanged: FileMoves = { stage: [], unstage: [], attrs: [], contents: [...contents], removals: [...removals] };
  if (!ctx.rules.detectRenames) return unchanged;
  const donors = new Map<string, RelPath[]>();
  const addDonor = (path: RelPath): void => {
    const d = ctx.dst.get(path);
    const digest = ctx.destDigest(path);
    if (d?.kind !== 'file' || digest === undefined || ctx.keep.isProtected(path, false)) return;
    const key = contentKey(d.size, digest);
    const list = donors.get(key);
    if (list) list.push(path);
    else donors.set(key, [path]);
  };
  for (const r of removals) addDonor(r.path);
  for (const c of contents) if (c.op === 'update') addDonor(c.path);
  if (donors.size === 0) return unchanged;

  // Each target takes a free donor of its content, one with its own name first.
  const used = new Set<RelPath>();
  const movedInto = new Map<RelPath, RelPath>();
  for (const c of contents) {
    const digest = ctx.digests.get(c.path)?.source;
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
  if (movedInto.size === 0) return unchanged;

  const stage: StageAction[] = [];
  const slotOf = new Map<RelPath, number>();
  for (const donor of used) {
    slotOf.set(donor, stage.length);
    stage.push({ op: 'stage', path: donor, slot: stage.length, reason: 'renamed', expect: fingerprintOf(ctx.dst.get(donor) as Entry) });
    touched.add(donor);
  }
  const unstage: UnstageAction[] = [];
  const attrs: SetAttrsAction[] = [];
  const left: Content[] = [];
  for (const c of contents) {
    const donor = movedInto.get(c.path);
    if (donor === undefined) {
      // An update whose old content was moved away lands on a free name.
      left.push(c.op === 'update' && used.has(c.path) ? { op: 'copy', path: c.path, reason: c.reason, source: c.source, ...(c.mode !== undefined ? { mode: c.mode } : {}) } : c);
      continue;
    }
    const d = ctx.dst.get(c.path);
    const occupied = d !== undefined && !used.has(c.path) && !replaced.has(c.path);
    unstage.push({
      op: 'unstage', path: c.path, slot: slotOf.get(donor) as number, origin: donor, reason: 'renamed',
      ...(occupied ? { expect: fingerprintOf(d) } : {}),
    });
    const was = ctx.dst.get(donor) as FileEntry;
    const modeDiffers = ctx.rules.perms !== false && was.mode !== c.source.mode;
    if (modeDiffers || !ctx.sameTime(was.mtimeMs, c.source.mtimeMs)) {
      attrs.push({
        op: 'setAttrs', path: c.path, kind: 'file', reason: 'renamed',
        ...(ctx.rules.perms !== false ? { mode: c.source.mode } : {}), mtimeMs: c.source.mtimeMs,
      });
    }
  }
  return { stage, unstage, attrs, contents: left, removals: removals.filter((r) => !used.has(r.path)) };
}
