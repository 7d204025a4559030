/**
 * The scenarios, and the change each one makes to the source before the tools run. Every tool's destination is an
 * exact mirror of the source before a mutation (verified after the previous run), so every tool starts from the
 * same state: the source is mutated once per round, then each tool syncs it.
 */
import { chmodSync, renameSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { writeRandomFile } from './generate.js';
import { intIn, pickSome, prng } from './random.js';
import { filesOf, type TreeSnapshot } from './verify.js';

export type ScenarioName = 'first-copy' | 'no-change' | 'rewrite' | 'delete' | 'rename';
export const ALL_SCENARIOS: readonly ScenarioName[] = ['first-copy', 'no-change', 'rewrite', 'delete', 'rename'];

export const SCENARIO_TITLES: Record<ScenarioName, string> = {
  'first-copy': 'first copy',
  'no-change': 'no-change resync',
  rewrite: '1% rewritten',
  delete: '1% deleted',
  rename: 'largest folder renamed',
};

export interface Mutation {
  /** Files whose bytes the tools must copy: their content is compared after every run. */
  readonly changed: string[];
  /** Entries that a tool without rename detection deletes (for the mass-delete note). */
  readonly deletes: number;
  readonly summary: string;
  /** Puts the source back as it was before the mutation (the delete scenario, so the set does not shrink). */
  readonly restore?: () => void;
}

function onePercent(n: number): number {
  return Math.max(1, Math.round(n * 0.01));
}

/**
 * 1% of the files get new bytes and a new mtime (the time of writing): half keep their size (only the content and
 * mtime tell them apart), half get a new size.
 */
function rewrite(root: string, snap: TreeSnapshot, seed: string, maxSize: number): Mutation {
  const rand = prng(`${seed}:rewrite`);
  const files = pickSome(rand, filesOf(snap), onePercent(filesOf(snap).length));
  let sameSize = 0;
  files.forEach((rel, i) => {
    const old = snap.get(rel)?.size ?? 0;
    let size = old;
    if (i % 2 === 1 || old === 0) {
      const delta = maxSize >= 1 << 20 ? intIn(rand, 1, 1 << 20) : intIn(rand, 1, Math.max(1, maxSize));
      size = old > delta && rand() < 0.5 ? old - delta : old + delta;
      if (maxSize < 1 << 20) size = Math.min(size, maxSize + 4096);
      if (size === old) size = old + 1;
    } else sameSize++;
    writeRandomFile(join(root, rel), size, `${seed}:content:${i}`);
  });
  return { changed: files, deletes: 0, summary: `rewrote ${files.length} files (${sameSize} same size, ${files.length - sameSize} new size)` };
}

/**
 * Deletes 1% of the files. `restore` writes them back (same size, mode and mtime, new bytes) and gives their
 * folders back their mtimes, so the set keeps its size from round to round.
 */
function remove(root: string, snap: TreeSnapshot, seed: string): Mutation {
  const rand = prng(`${seed}:delete`);
  const all = filesOf(snap);
  const files = pickSome(rand, all, onePercent(all.length));
  for (const rel of files) unlinkSync(join(root, rel));
  const restore = (): void => {
    const parents = new Set<string>();
    files.forEach((rel, i) => {
      const m = snap.get(rel);
      if (!m) return;
      const path = join(root, rel);
      writeRandomFile(path, m.size, `${seed}:restore:${i}`, m.mode);
      chmodSync(path, m.mode);
      utimesSync(path, nsToSeconds(m.mtimeNs), nsToSeconds(m.mtimeNs));
      parents.add(rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
    });
    for (const p of parents) {
      const m = snap.get(p);
      if (m) utimesSync(p === '' ? root : join(root, p), nsToSeconds(m.mtimeNs), nsToSeconds(m.mtimeNs));
    }
  };
  return { changed: [], deletes: files.length, summary: `deleted ${files.length} files`, restore };
}

function nsToSeconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

/** Renames the set's largest top-level folder, back and forth: `name` <-> `name-renamed`. */
function rename(root: string, snap: TreeSnapshot, folder: string): Mutation {
  const moved = `${folder}-renamed`;
  const [from, to] = snap.has(folder) ? [folder, moved] : [moved, folder];
  renameSync(join(root, from), join(root, to));
  const changed: string[] = [];
  let entries = 0;
  for (const [rel, m] of snap) {
    if (rel !== from && !rel.startsWith(`${from}/`)) continue;
    entries++;
    if (m.kind === 'file') changed.push(to + rel.slice(from.length));
  }
  return { changed, deletes: entries, summary: `renamed ${from} -> ${to} (${changed.length} files, ${entries} entries)` };
}

/** Applies the scenario's change to the source; `no-change` changes nothing. */
export function mutate(
  scenario: Exclude<ScenarioName, 'first-copy'>,
  root: string,
  snap: TreeSnapshot,
  seed: string,
  info: { largestFolder: string; maxSize: number },
): Mutation {
  switch (scenario) {
    case 'no-change':
      return { changed: [], deletes: 0, summary: 'no change' };
    case 'rewrite':
      return rewrite(root, snap, seed, info.maxSize);
    case 'delete':
      return remove(root, snap, seed);
    case 'rename':
      return rename(root, snap, info.largestFolder);
  }
}
