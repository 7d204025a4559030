/**
 * Rename and move detection, pure. A destination file that would be deleted or overwritten and whose content
 * (size + digest) equals a file the destination needs is moved instead of copied; when most files of a folder the
 * source no longer has reappear under a new folder with the same relative names, the whole folder is renamed at once.
 */
import { ancestorsOf, baseName, isAtOrBelow, parentOf } from '../paths.js';
import type { Digests, Entry, RelPath } from '../types.js';
import { contentKey } from './compare.js';

/** A folder rename chosen by the planner: `from` (destination only) becomes `to` (source only). */
export interface DirMove {
  readonly from: RelPath;
  readonly to: RelPath;
}

/** The destination as it will be after the folder renames, and where each entry came from. */
export interface Rebased {
  readonly entries: ReadonlyMap<RelPath, Entry>;
  /** Virtual path -> original destination path, only for entries that moved. */
  readonly origin: ReadonlyMap<RelPath, RelPath>;
}

/** Splits two paths into their differing heads, when they end in the same one or more names. */
function differingHeads(a: RelPath, b: RelPath): { from: RelPath; to: RelPath } | undefined {
  const as = a.split('/');
  const bs = b.split('/');
  let k = 0;
  while (k < as.length - 1 && k < bs.length - 1 && as[as.length - 1 - k] === bs[bs.length - 1 - k]) k++;
  if (k === 0) return undefined;
  return { from: as.slice(0, as.length - k).join('/'), to: bs.slice(0, bs.length - k).join('/') };
}

export interface DirMoveInput {
  readonly src: ReadonlyMap<RelPath, Entry>;
  readonly dst: ReadonlyMap<RelPath, Entry>;
  readonly digests: Digests;
  /** Destination folders that must not move (they hold protected, excluded or unreadable entries). */
  readonly pinned: ReadonlySet<RelPath>;
  /** True where a source problem hides what the source really has. */
  readonly blocked: (path: RelPath) => boolean;
}

export function findDirMoves({ src, dst, digests, pinned, blocked }: DirMoveInput): DirMove[] {
  if (digests.size === 0) return [];
  // Donors: destination files whose path the source does not have at all, indexed by content.
  const donors = new Map<string, RelPath[]>();
  for (const [path, d] of dst) {
    if (d.kind !== 'file' || src.has(path)) continue;
    const digest = digests.get(path)?.destination;
    if (digest === undefined) continue;
    const key = contentKey(d.size, digest);
    const list = donors.get(key);
    if (list) list.push(path);
    else donors.set(key, [path]);
  }
  if (donors.size === 0) return [];

  const votes = new Map<string, { from: RelPath; to: RelPath; count: number }>();
  for (const [path, s] of src) {
    if (s.kind !== 'file' || dst.has(path)) continue;
    const digest = digests.get(path)?.source;
    if (digest === undefined) continue;
    const list = donors.get(contentKey(s.size, digest));
    if (!list) continue;
    const name = baseName(path);
    for (const donor of list) {
      if (baseName(donor) !== name) continue;
      const heads = differingHeads(donor, path);
      if (!heads) continue;
      const id = `${heads.from}\0${heads.to}`;
      const v = votes.get(id);
      if (v) v.count++;
      else votes.set(id, { ...heads, count: 1 });
      break;
    }
  }
  if (votes.size === 0) return [];

  const filesUnder = new Map<RelPath, number>();
  for (const [path, d] of dst) {
    if (d.kind !== 'file') continue;
    for (const a of ancestorsOf(path)) filesUnder.set(a, (filesUnder.get(a) ?? 0) + 1);
  }

  const chosen: DirMove[] = [];
  const ranked = [...votes.values()].sort((a, b) => b.count - a.count || (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  for (const { from, to, count } of ranked) {
    if (count * 2 < (filesUnder.get(from) ?? 0)) continue;
    if (dst.get(from)?.kind !== 'dir' || src.has(from) || pinned.has(from) || blocked(from)) continue;
    if (src.get(to)?.kind !== 'dir' || dst.has(to)) continue;
    const parent = parentOf(to);
    if (parent !== '' && (src.get(parent)?.kind !== 'dir' || dst.get(parent)?.kind !== 'dir')) continue;
    if (isAtOrBelow(to, from) || isAtOrBelow(from, to)) continue;
    if (chosen.some((m) => isAtOrBelow(from, m.from) || isAtOrBelow(m.from, from) || isAtOrBelow(to, m.to) || isAtOrBelow(m.to, to))) continue;
    chosen.push({ from, to });
  }
  return chosen;
}

/** The destination entries re-keyed as if the folder renames had happened. */
export function rebase(dst: ReadonlyMap<RelPath, Entry>, moves: readonly DirMove[]): Rebased {
  if (moves.length === 0) return { entries: dst, origin: new Map() };
  const entries = new Map<RelPath, Entry>();
  const origin = new Map<RelPath, RelPath>();
  for (const [path, e] of dst) {
    const m = moves.find((mv) => isAtOrBelow(path, mv.from));
    if (!m) {
      entries.set(path, e);
      continue;
    }
    const moved = m.to + path.slice(m.from.length);
    entries.set(moved, e);
    origin.set(moved, path);
  }
  return { entries, origin };
}
