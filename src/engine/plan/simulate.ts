/**
 * Applies a plan to an in-memory tree, for tests: the planner's promise is that simulate(plan, destination)
 * equals the source. Contents are tracked as opaque tokens; a copy takes the source token of its path.
 */
import { isAtOrBelow, parentOf } from '../paths.js';
import type { Action, Entry, Plan, RelPath } from '../types.js';

export interface SimEntry {
  readonly entry: Entry;
  /** Content token for files. */
  readonly content?: string;
}
export type SimTree = Map<RelPath, SimEntry>;

function fail(action: Action, why: string): never {
  throw new Error(`simulate: ${action.op} ${JSON.stringify(action.path)}: ${why}`);
}

function requireParent(tree: SimTree, action: Action, path: RelPath): void {
  const parent = parentOf(path);
  if (parent !== '' && tree.get(parent)?.entry.kind !== 'dir') fail(action, `parent ${JSON.stringify(parent)} is not a folder`);
}

/** `sourceContent(path)` gives the content token a copy or update writes. Throws on an impossible step. */
export function simulate(plan: Plan, start: SimTree, sourceContent: (path: RelPath) => string): SimTree {
  const tree: SimTree = new Map(start);
  for (const a of plan.actions) {
    const here = tree.get(a.path);
    switch (a.op) {
      case 'mkdir':
        if (here) fail(a, 'path taken');
        requireParent(tree, a, a.path);
        tree.set(a.path, { entry: { kind: 'dir', mode: a.mode, mtimeMs: 0, ino: 0 } });
        break;
      case 'copy':
        if (here) fail(a, 'path taken');
        requireParent(tree, a, a.path);
        tree.set(a.path, { entry: a.source, content: sourceContent(a.path) });
        break;
      case 'update':
        if (here?.entry.kind !== 'file') fail(a, 'no file to update');
        tree.set(a.path, { entry: a.source, content: sourceContent(a.path) });
        break;
      case 'symlink':
        if (here && here.entry.kind === 'dir') fail(a, 'a folder is in the way');
        requireParent(tree, a, a.path);
        tree.set(a.path, { entry: { kind: 'symlink', target: a.target, mtimeMs: a.mtimeMs, ino: 0 } });
        break;
      case 'delete': {
        if (!here) fail(a, 'nothing to delete');
        for (const p of tree.keys()) if (p !== a.path && isAtOrBelow(p, a.path)) fail(a, 'folder not empty');
        tree.delete(a.path);
        break;
      }
      case 'move': {
        const from = tree.get(a.from);
        if (!from) fail(a, `nothing at ${JSON.stringify(a.from)}`);
        if (here && (here.entry.kind === 'dir' || from.entry.kind === 'dir')) fail(a, 'target taken');
        requireParent(tree, a, a.path);
        const moved: [RelPath, SimEntry][] = [];
        for (const [p, e] of tree) if (isAtOrBelow(p, a.from)) moved.push([a.path + p.slice(a.from.length), e]);
        for (const p of [...tree.keys()]) if (isAtOrBelow(p, a.from)) tree.delete(p);
        for (const [p, e] of moved) tree.set(p, e);
        break;
      }
      case 'setAttrs': {
        if (a.path === '') break;
        if (!here) fail(a, 'nothing to set');
        const e = here.entry;
        if (e.kind === 'file') tree.set(a.path, { ...here, entry: { ...e, mode: a.mode ?? e.mode, mtimeMs: a.mtimeMs ?? e.mtimeMs } });
        else if (e.kind === 'dir') tree.set(a.path, { entry: { ...e, mode: a.mode ?? e.mode, mtimeMs: a.mtimeMs ?? e.mtimeMs } });
        else if (e.kind === 'symlink') tree.set(a.path, { entry: { ...e, mtimeMs: a.mtimeMs ?? e.mtimeMs } });
        break;
      }
    }
  }
  return tree;
}
