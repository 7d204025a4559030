/** The order apply runs a plan in. */
import { depthOf } from '../paths.js';
import type { Action, DeleteAction, MkdirAction, RenameAction, SetAttrsAction, StageAction, UnstageAction } from '../types.js';

export interface PlanParts {
  readonly renames: readonly RenameAction[];
  readonly stage: readonly StageAction[];
  readonly removals: readonly DeleteAction[];
  readonly mkdirs: readonly MkdirAction[];
  readonly unstage: readonly UnstageAction[];
  readonly contents: readonly Action[];
  readonly links: readonly Action[];
  readonly attrs: readonly SetAttrsAction[];
  readonly dirAttrs: readonly SetAttrsAction[];
}

/** `actions` by depth (stable), each path's depth counted once rather than in every comparison. */
function byDepth<T extends Action>(actions: readonly T[], order: 'deepest' | 'shallowest'): T[] {
  const keyed = actions.map((a) => ({ a, d: depthOf(a.path) }));
  keyed.sort(order === 'deepest' ? (x, y) => y.d - x.d : (x, y) => x.d - y.d);
  return keyed.map((k) => k.a);
}

/**
 * 1. folder renames (each one rename, before anything else touches those paths);
 * 2. file moves out to temporary slots (so no delete or overwrite can hit content that is still needed);
 * 3. deletes: files and links first, then folders deepest first (a folder is removed only once empty);
 * 4. new folders, shallowest first; 5. moved files into place; 6. copies, updates and links;
 * 7. file and link attributes; 8. folder attributes deepest first, since writing inside a folder changes its mtime.
 *
 * Deletes run before copies on purpose: an entry whose kind changes (a file that became a folder, or the reverse)
 * must be gone before its replacement can be made, a name that differs only in case frees its slot on a
 * case-insensitive disk, and a nearly full disk gets the space back before new bytes arrive. Nothing still needed
 * is lost by this: content that a copy needs was staged away in step 2, and a destination entry is removed only if
 * it is still what the scan saw.
 */
export function orderActions(p: PlanParts): Action[] {
  const fileRemovals = p.removals.filter((r) => r.expect.kind !== 'dir');
  const dirRemovals = byDepth(p.removals.filter((r) => r.expect.kind === 'dir'), 'deepest');
  return [
    ...p.renames,
    ...p.stage,
    ...fileRemovals,
    ...dirRemovals,
    ...byDepth(p.mkdirs, 'shallowest'),
    ...p.unstage,
    ...p.contents,
    ...p.links,
    ...p.attrs,
    ...byDepth(p.dirAttrs, 'deepest'),
  ];
}
