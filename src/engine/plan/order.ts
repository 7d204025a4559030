/** The order apply runs a plan in; apply may run neighbours of the same batch at once. */
import { depthOf } from '../paths.js';
import type { Action, DeleteAction, MkdirAction, MoveAction, SetAttrsAction } from '../types.js';

export interface PlanParts {
  readonly folderMoves: readonly MoveAction[];
  readonly stage: readonly MoveAction[];
  readonly removals: readonly DeleteAction[];
  readonly mkdirs: readonly MkdirAction[];
  readonly unstage: readonly MoveAction[];
  readonly contents: readonly Action[];
  readonly links: readonly Action[];
  readonly attrs: readonly SetAttrsAction[];
  readonly dirAttrs: readonly SetAttrsAction[];
}

const deepestFirst = (a: Action, b: Action): number => depthOf(b.path) - depthOf(a.path);
const shallowestFirst = (a: Action, b: Action): number => depthOf(a.path) - depthOf(b.path);

/**
 * 1. folder renames (each one rename, before anything else touches those paths);
 * 2. file moves out to temporary names (so no delete or overwrite can hit content that is still needed);
 * 3. deletes: files and links first, then folders deepest first (a folder is removed only once empty);
 * 4. new folders, shallowest first; 5. moved files into place; 6. copies, updates and links;
 * 7. file and link attributes; 8. folder attributes deepest first, since writing inside a folder changes its mtime.
 */
export function orderActions(p: PlanParts): Action[] {
  const fileRemovals = p.removals.filter((r) => r.expect.kind !== 'dir');
  const dirRemovals = p.removals.filter((r) => r.expect.kind === 'dir').sort(deepestFirst);
  return [
    ...p.folderMoves,
    ...p.stage,
    ...fileRemovals,
    ...dirRemovals,
    ...[...p.mkdirs].sort(shallowestFirst),
    ...p.unstage,
    ...p.contents,
    ...p.links,
    ...p.attrs,
    ...[...p.dirAttrs].sort(deepestFirst),
  ];
}

/**
 * Actions with the same batch key may run at the same time as their neighbours. Folder steps are ordered by depth
 * (created shallowest first, removed and given their attributes deepest first), so folders of one depth form a
 * batch; a folder rename runs alone.
 */
export type Batch = 'serial' | 'stage' | 'remove-files' | 'unstage' | 'write' | 'attrs' | `${'rmdir' | 'mkdir' | 'dir-attrs'}:${number}`;

export function batchOf(action: Action): Batch {
  switch (action.op) {
    case 'move':
      return action.step === 'stage' ? 'stage' : action.step === 'unstage' ? 'unstage' : 'serial';
    case 'delete':
      return action.expect.kind === 'dir' ? `rmdir:${depthOf(action.path)}` : 'remove-files';
    case 'mkdir':
      return `mkdir:${depthOf(action.path)}`;
    case 'copy':
    case 'update':
    case 'symlink':
      return 'write';
    case 'setAttrs':
      return action.kind === 'dir' ? `dir-attrs:${depthOf(action.path)}` : 'attrs';
  }
}
