/** What every planner pass reads: both trees (the destination as it will be after folder renames), digests, rules. */
import { parentOf } from '../paths.js';
import type { Digests, Entry, RelPath } from '../types.js';
import type { SameTime } from './compare.js';
import type { Keep } from './keep.js';
import type { PlanRules } from './rules.js';

export interface PlanContext {
  readonly src: ReadonlyMap<RelPath, Entry>;
  /** The destination re-keyed as if the folder renames had happened (renames.ts rebase). */
  readonly dst: ReadonlyMap<RelPath, Entry>;
  readonly digests: Digests;
  /** The destination digest of a (rebased) path, looked up under its original path. */
  readonly destDigest: (path: RelPath) => string | undefined;
  readonly keep: Keep;
  readonly rules: PlanRules;
  readonly sameTime: SameTime;
}

/** Folders whose content a pass changes: their mtime must be set again at the end (folder-attrs.ts). */
export class Touched {
  readonly folders = new Set<RelPath>();

  /** Records that something at `path` changes, so its folder's mtime will too. */
  add(path: RelPath): void {
    this.folders.add(parentOf(path));
  }

  has(folder: RelPath): boolean {
    return this.folders.has(folder);
  }
}

/** A destination entry that must stay: unreadable, holding kept entries, hidden by a source problem, or protected. */
export function kept(ctx: PlanContext, path: RelPath, d: Entry): boolean {
  return d.kind === 'problem' || ctx.keep.pinned.has(path) || ctx.keep.blocked(path) || ctx.keep.isProtected(path, d.kind === 'dir');
}
