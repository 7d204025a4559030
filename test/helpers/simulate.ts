/**
 * Applies a plan to an in-memory tree, for tests: the planner's promise is that simulate(plan, destination)
 * equals the source. Contents are tracked as opaque tokens; a copy takes the source token of its path.
 */
import { isAtOrBelow, parentOf } from '../../src/engine/paths.js';
import type { Action, Entry, Plan, RelPath } from '../../src/engine/types.js';

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

/** Where the simulated tree keeps a staged file (apply picks a random name; any name outside the tree's paths will do). */
const slotName = (slot: number): RelPath => `\0slot${slot}`;

function moveTree(tree: SimTree, a: Action, fromPath: RelPath, to: RelPath): void {
  const from = tree.get(fromPath);
  if (!from) fail(a, `nothing at ${JSON.stringify(fromPath)}`);
  const here = tree.get(to);
  if (here && (here.entry.kind === 'dir' || from.entry.kind === 'dir')) fail(a, 'target taken');
  if (!to.startsWith('\0')) requireParent(tree, a, to);
  const moved: [RelPath, SimEntry][] = [];
  for (const [p, e] of tree) if (isAtOrBelow(p, fromPath)) moved.push([to + p.slice(fromPath.length), e]);
  for (const p of [...tree.keys()]) if (isAtOrBelow(p, fromPath)) tree.delete(p);
  for (const [p, e] of moved) tree.set(p, e);
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
      case 'rename':
        moveTree(tree, a, a.from, a.path);
        break;
      case 'stage':
        moveTree(tree, a, a.path, slotName(a.slot));
        break;
      case 'unstage':
        moveTree(tree, a, slotName(a.slot), a.path);
        break;
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
