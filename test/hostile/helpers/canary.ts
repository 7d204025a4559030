/**
 * An outside canary: a tree next to the destination that no run may change. Every escape case builds one, points
 * its attack at it, and asserts afterwards that it is byte-identical (content, modes, mtimes, link targets) and that
 * nothing appeared beside it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readTree, writeTree, type TreeSpec } from '../../helpers/tree.js';

/** A canary tree and the state to compare against. */
export interface Canary {
  readonly dir: string;
  /** Asserts that the canary and its parent's other entries are as they were. */
  readonly assertUntouched: (what?: string) => void;
}

/** What a canary folder holds by default: files the attacks aim at (victim.txt, f0..), odd modes, a link, a folder. */
export function canarySpec(files: readonly string[] = []): TreeSpec {
  const spec: TreeSpec = {
    'victim.txt': { data: 'outside: must never change\n', mode: 0o600, mtime: 1_000_000_001 },
    'secret.txt': { data: 'outside secret: must never be copied\n', mode: 0o640, mtime: 1_000_000_002 },
    'exec.sh': { data: '#!/bin/sh\n', mode: 0o750, mtime: 1_000_000_003 },
    'link': { link: 'victim.txt' },
    'sub/deep.txt': { data: 'outside deep\n', mode: 0o604, mtime: 1_000_000_004 },
    'sub': { dir: true, mode: 0o755, mtime: 1_000_000_005 },
  };
  for (const f of files) spec[f] = { data: `outside ${f}\n`, mode: 0o600, mtime: 1_000_000_010 };
  return spec;
}

/**
 * Writes a canary at `<root>/outside/canary` and remembers it, its own stat, and its parent (which holds nothing else,
 * so that an entry created beside the canary, or a change to the parent, is seen too).
 */
export function makeCanary(root: string, spec: TreeSpec = canarySpec()): Canary {
  const parent = join(root, 'outside');
  const dir = join(parent, 'canary');
  writeTree(dir, spec);
  const tree = readTree(dir);
  const self = statLine(dir);
  const beside = readdirSync(parent).sort();
  const parentStat = statLine(parent);
  return {
    dir,
    assertUntouched: (what = 'the run') => {
      const changes = treeChanges(tree, readTree(dir));
      if (changes !== '') assert.fail(`${what} changed the outside canary ${dir}: ${changes}`);
      const selfNow = statLine(dir);
      assert.equal(selfNow, self, `${what} changed the outside canary folder itself, or wrote in it and removed it again (mode mtime_us inode: ${self} -> ${selfNow})`);
      assert.deepEqual(readdirSync(parent).sort(), beside, `${what} created or removed entries beside the canary`);
      assert.equal(statLine(parent), parentStat, `${what} changed the canary's parent folder`);
    },
  };
}

/** One line saying what changed between two readTree results ('' when nothing did), with a few examples of each. */
export function treeChanges(before: Record<string, string>, after: Record<string, string>): string {
  const removed = Object.keys(before).filter((k) => !(k in after));
  const added = Object.keys(after).filter((k) => !(k in before));
  const changed = Object.keys(before).filter((k) => k in after && after[k] !== before[k]);
  const some = (list: string[], show: (k: string) => string): string =>
    `${list.slice(0, 3).map(show).join(', ')}${list.length > 3 ? ', ...' : ''}`;
  const parts: string[] = [];
  if (removed.length > 0) parts.push(`${removed.length} deleted or moved away (${some(removed, (k) => k)})`);
  if (added.length > 0) parts.push(`${added.length} created (${some(added, (k) => `${k}: ${after[k] ?? ''}`)})`);
  if (changed.length > 0) parts.push(`${changed.length} changed (${some(changed, (k) => `${k}: ${before[k] ?? ''} -> ${after[k] ?? ''}`)})`);
  return parts.join('; ');
}

function statLine(path: string): string {
  const st = lstatSync(path, { bigint: true });
  return `${(st.mode & 0o7777n).toString(8)} ${st.mtimeNs / 1000n} ${st.ino}`;
}

/** The content hash readTree shows for a file with these bytes. */
export function contentHash(data: string | Uint8Array): string {
  return createHash('sha1').update(data).digest('hex').slice(0, 12);
}

/** The content hashes of the files in a readTree result (for a canary: content that must never show up elsewhere). */
export function contentHashes(tree: Record<string, string>): Set<string> {
  const out = new Set<string>();
  for (const line of Object.values(tree)) {
    const m = /^file \d+ ([0-9a-f]{12})/.exec(line);
    if (m?.[1]) out.add(m[1]);
  }
  return out;
}
