/**
 * First, pure pass of the planner: which files need a digest before the real plan can be made.
 * - checksum mode: both sides of every same-size file pair at the same path;
 * - rename detection: files the destination lacks (or has different) whose size (and, with the quick check, mtime)
 *   equals that of a destination file that would be deleted or overwritten. The hash then confirms the match.
 */
import type { FileEntry, RelPath, Snapshot } from '../types.js';
import { compareFiles, type SameTime, sameTimeFor } from './compare.js';
import type { PlanRules } from './rules.js';

/** Which side(s) of a path to hash. */
export interface HashWant {
  source: boolean;
  destination: boolean;
}
export type HashNeeds = Map<RelPath, HashWant>;

export type HashNeedRules = Pick<PlanRules, 'checksum' | 'detectRenames' | 'sizeOnly' | 'mtimeWindowUs' | 'mtimeStepUs'>;

function want(needs: HashNeeds, path: RelPath, side: keyof HashWant): void {
  const w = needs.get(path);
  if (w) w[side] = true;
  else needs.set(path, { source: side === 'source', destination: side === 'destination' });
}

/**
 * Candidate key: size, plus the mtime with the quick check (a rename keeps both), to the destination's precision. With
 * a tolerance (modify window) times cannot be keyed exactly, so size alone.
 */
function keyer(rules: HashNeedRules): (f: FileEntry) => string {
  if (rules.checksum || rules.sizeOnly || (rules.mtimeWindowUs ?? 0) > 0) return (f) => `${f.size}`;
  const step = rules.mtimeStepUs ?? 1;
  return (f) => `${f.size}:${Math.floor(Math.round(f.mtimeMs * 1000) / step)}`;
}

export function hashNeeds(source: Snapshot, destination: Snapshot, rules: HashNeedRules): HashNeeds {
  const needs: HashNeeds = new Map();
  const sameTime: SameTime = sameTimeFor(rules);
  const keyOf = keyer(rules);
  const quick = { checksum: false, sizeOnly: rules.sizeOnly ?? false };
  const src = source.entries;
  const dst = destination.entries;

  // Donors first: destination files that would be deleted or overwritten, by key. A first copy has none, so the
  // source loop below then only does checksum-mode work.
  const donors = new Map<string, RelPath[]>();
  if (rules.detectRenames) {
    for (const [path, d] of dst) {
      if (d.kind !== 'file' || d.size === 0) continue;
      const s = src.get(path);
      if (s?.kind === 'file' && s.size === d.size && (rules.checksum || compareFiles(s, d, quick, sameTime) === 'same')) continue;
      const key = keyOf(d);
      const list = donors.get(key);
      if (list) list.push(path);
      else donors.set(key, [path]);
    }
  }
  if (!rules.checksum && donors.size === 0) return needs;

  const met = new Set<string>();
  for (const [path, s] of src) {
    if (s.kind !== 'file') continue;
    const d = dst.get(path);
    if (d?.kind === 'file' && d.size === s.size) {
      if (rules.checksum) {
        if (s.size > 0) {
          want(needs, path, 'source');
          want(needs, path, 'destination');
        }
        continue;
      }
      if (compareFiles(s, d, quick, sameTime) === 'same') continue;
    }
    if (donors.size > 0 && s.size > 0) {
      const key = keyOf(s);
      if (!donors.has(key)) continue;
      met.add(key);
      want(needs, path, 'source');
    }
  }
  for (const key of met) for (const path of donors.get(key) ?? []) want(needs, path, 'destination');
  return needs;
}
