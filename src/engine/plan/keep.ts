/**
 * What the planner must leave alone, from the snapshots and the protect rule: protected destination entries (a
 * protected folder protects everything below it), whatever a source problem hides (an unreadable source folder
 * never looks empty), and the destination folders that hold either, or an excluded entry. Pure.
 */
import { ancestorsOf, parentOf } from '../paths.js';
import type { RelPath, Snapshot } from '../types.js';

export type ProtectRule = (path: RelPath, isDir: boolean) => boolean;

export interface Keep {
  /** A destination entry that is never deleted or overwritten. */
  isProtected(path: RelPath, isDir: boolean): boolean;
  /** True at or below a source entry that could not be read. */
  blocked(path: RelPath): boolean;
  /** Destination folders that must stay because something inside them stays. */
  readonly pinned: ReadonlySet<RelPath>;
}

/** `kept`: destination entries left alone each on its own, not the entries below them (see PlanRules.isKept). */
export function keepOf(source: Snapshot, destination: Snapshot, rule: ProtectRule | undefined, kept?: ProtectRule): Keep {
  const folderProtected = new Map<RelPath, boolean>();
  const underProtected = (dir: RelPath): boolean => {
    if (dir === '' || !rule) return false;
    let v = folderProtected.get(dir);
    if (v === undefined) {
      v = rule(dir, true) || underProtected(parentOf(dir));
      folderProtected.set(dir, v);
    }
    return v;
  };
  const byRule = (path: RelPath, isDir: boolean): boolean => rule !== undefined && (rule(path, isDir) || underProtected(parentOf(path)));
  const isProtected = kept === undefined ? byRule : (path: RelPath, isDir: boolean): boolean => byRule(path, isDir) || kept(path, isDir);

  const problems = new Set<RelPath>();
  for (const [path, s] of source.entries) if (s.kind === 'problem') problems.add(path);
  const blocked = (path: RelPath): boolean => {
    if (problems.size === 0) return false;
    if (problems.has(path)) return true;
    for (const a of ancestorsOf(path)) if (problems.has(a)) return true;
    return false;
  };

  const pinned = new Set<RelPath>();
  const pin = (path: RelPath): void => {
    for (const a of ancestorsOf(path)) {
      if (pinned.has(a)) break;
      pinned.add(a);
    }
  };
  for (const path of destination.excluded ?? []) pin(path);
  for (const [path, d] of destination.entries) {
    if (d.kind === 'problem' || ((rule || kept) && isProtected(path, d.kind === 'dir'))) {
      pin(path);
      // A kept folder stays where it is even when nothing inside it is kept: it must not be renamed away.
      if (d.kind === 'problem' || (d.kind === 'dir' && kept?.(path, true))) pinned.add(path);
    }
  }
  return { isProtected, blocked, pinned };
}
