/** fast-check arbitraries for the planner: random source and destination trees with content tokens. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Entry, RelPath, Snapshot } from '../../src/engine/types.js';
import type { SimTree } from './simulate.js';

export type Kind = 'file' | 'dir' | 'symlink';
export interface GenNode {
  kind: Kind;
  /** For files: a content token; its length decides the size, so equal tokens mean equal sizes. */
  token: string;
  mode: number;
  mtime: number;
  target: string;
}

const NAMES = ['a', 'b', 'c', 'd'];
const TOKENS = ['', 'x', 'y', 'zz', 'ww', 'vvv'];

export const pathArb = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
export const nodeArb: fc.Arbitrary<GenNode> = fc.record({
  kind: fc.constantFrom<Kind>('file', 'file', 'dir', 'symlink'),
  token: fc.constantFrom(...TOKENS),
  mode: fc.constantFrom(0o644, 0o755),
  mtime: fc.constantFrom(1000, 2000),
  target: fc.constantFrom('t1', 't2'),
});

/** A consistent tree: every ancestor of a path is a folder. */
export const treeArb: fc.Arbitrary<Map<RelPath, GenNode>> = fc.array(fc.tuple(pathArb, nodeArb), { maxLength: 14 }).map((pairs) => {
  const tree = new Map<RelPath, GenNode>();
  for (const [path, node] of pairs) {
    const parts = path.split('/');
    let ok = true;
    for (let i = 1; i < parts.length; i++) {
      const anc = parts.slice(0, i).join('/');
      const existing = tree.get(anc);
      if (existing && existing.kind !== 'dir') {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    // A node that already has children must stay a folder.
    const hasChildren = [...tree.keys()].some((k) => k.startsWith(`${path}/`));
    if (hasChildren && node.kind !== 'dir') continue;
    for (let i = 1; i < parts.length; i++) {
      const anc = parts.slice(0, i).join('/');
      if (!tree.has(anc)) tree.set(anc, { kind: 'dir', token: '', mode: 0o755, mtime: 1000, target: '' });
    }
    tree.set(path, node);
  }
  return tree;
});

export function digestOf(token: string): string {
  return createHash('md5').update(token).digest('hex');
}

let ino = 1;
export function toEntry(n: GenNode): Entry {
  switch (n.kind) {
    case 'file':
      return { kind: 'file', size: n.token.length, mtimeMs: n.mtime, mode: n.mode, ino: ino++ };
    case 'dir':
      return { kind: 'dir', mode: n.mode, mtimeMs: n.mtime, ino: ino++ };
    case 'symlink':
      return { kind: 'symlink', target: n.target, mtimeMs: n.mtime, ino: ino++ };
  }
}

export function toSnapshot(root: string, tree: Map<RelPath, GenNode>): Snapshot {
  const entries = new Map<RelPath, Entry>();
  for (const [p, n] of tree) entries.set(p, toEntry(n));
  return { root, entries };
}

export function toSim(snapshot: Snapshot, tree: Map<RelPath, GenNode>): SimTree {
  const sim: SimTree = new Map();
  for (const [p, e] of snapshot.entries) {
    const n = tree.get(p) as GenNode;
    sim.set(p, e.kind === 'file' ? { entry: e, content: n.token } : { entry: e });
  }
  return sim;
}

/** What a mirror must reproduce of an entry: kind, content, mode, mtime, link target. */
export function describeSim(sim: SimTree): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, { entry: e, content }] of [...sim].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (e.kind === 'file') out[p] = `file ${content} ${e.mode.toString(8)} ${e.mtimeMs}`;
    else if (e.kind === 'dir') out[p] = `dir ${e.mode.toString(8)} ${e.mtimeMs}`;
    else if (e.kind === 'symlink') out[p] = `link ${e.target} ${e.mtimeMs}`;
  }
  return out;
}
