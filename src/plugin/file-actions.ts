/** A run's plan and outcomes folded into one FileAction per destination path, for tagging the files passed on. */
import { parentOf, tagOf, type Action, type Outcome, type Plan, type RelPath, type Summary } from '../engine/index.js';
import type { FileAction } from './vinyl-file.js';

const RANK: Record<FileAction, number> = {
  unchanged: 0, excluded: 0, skipped: 1, attrs: 2, created: 3, copied: 4, updated: 4, moved: 4, vanished: 5, failed: 6,
};

/** The engine's table says what each action means on the path it writes (action-kinds.ts). */
const actionOf = (a: Action): FileAction | undefined => tagOf(a);

export interface FileActions {
  /** What happened at `path` (a path below a renamed folder counts as moved). */
  of(path: RelPath): FileAction;
}

/** `outcomes` undefined means a dry run: every planned action counts as done. */
export function fileActions(plan: Plan, outcomes: readonly Outcome[] | undefined, summary: Summary): FileActions {
  const byPath = new Map<RelPath, FileAction>();
  const movedFolders = new Set<RelPath>();
  const note = (path: RelPath, action: FileAction | undefined): void => {
    if (action === undefined) return;
    const was = byPath.get(path);
    if (was === undefined || RANK[action] > RANK[was]) byPath.set(path, action);
  };
  const done = (a: Action): void => {
    note(a.path, actionOf(a));
    if (a.op === 'rename') movedFolders.add(a.path);
  };
  if (outcomes === undefined) plan.actions.forEach(done);
  else {
    for (const o of outcomes) {
      if (o.status === 'done') done(o.action);
      else if (o.status === 'failed') note(o.action.path, 'failed');
      else if (o.status === 'vanished' || o.status === 'changed-since-scan') note(o.action.path, 'vanished');
    }
  }
  for (const s of summary.skips) note(s.path, 'skipped');
  for (const f of summary.failures) note(f.path, 'failed');

  return {
    of(path) {
      const own = byPath.get(path);
      if (own !== undefined && RANK[own] >= RANK.created) return own;
      for (let p = parentOf(path); movedFolders.size > 0 && p !== ''; p = parentOf(p)) {
        if (movedFolders.has(p)) return 'moved';
      }
      return own ?? 'unchanged';
    },
  };
}
