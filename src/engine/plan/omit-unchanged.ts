/**
 * Identical pairs need no action: a file with the same size, mtime and mode on both sides (the quick check), or a
 * symlink with the same target and mtime. Leaving them out of both snapshots gives the planner the same plan
 * (test/engine/plan.test.ts checks this on random trees) for a fraction of the work on a resync that changed little.
 * Folders always stay: a folder's attributes are set again when anything inside it changes.
 *
 * Only for the quick check: with --checksum, same-size files must be hashed, so nothing can be left out.
 * native-scan.ts applies the same rule to the scanner's columns before it builds any entry.
 */
import type { Entry, RelPath, Snapshot } from '../types.js';
import { type SameTime, sameTimeFor } from './compare.js';
import type { PlanRules } from './rules.js';

/** The rules that decide whether a pair is identical (the mtime comparison, and whether modes count). */
export type OmitRules = Pick<PlanRules, 'perms' | 'mtimeWindowUs' | 'mtimeStepUs'>;

/** True when neither the planner nor apply has anything to do for this pair. */
export function unchangedPair(s: Entry, d: Entry, sameTime: SameTime, perms = true): boolean {
  if (s.kind === 'file') return d.kind === 'file' && s.size === d.size && (!perms || s.mode === d.mode) && sameTime(s.mtimeMs, d.mtimeMs);
  if (s.kind === 'symlink') return d.kind === 'symlink' && s.target === d.target && sameTime(s.mtimeMs, d.mtimeMs);
  return false;
}

/** Both snapshots without their identical file and symlink pairs, with `omitted` counting them. */
export function omitUnchanged(source: Snapshot, destination: Snapshot, rules: OmitRules = {}): { source: Snapshot; destination: Snapshot } {
  const total0 = source.omitted ?? 0;
  // Nothing to pair with (a first copy): the same entries, not a copy of them.
  if (destination.entries.size === 0) return { source: { ...source, omitted: total0 }, destination: { ...destination, omitted: total0 } };
  const sameTime = sameTimeFor(rules);
  const perms = rules.perms !== false;
  const src = new Map<RelPath, Entry>();
  const dst = new Map(destination.entries);
  let omitted = 0;
  for (const [path, s] of source.entries) {
    const d = dst.get(path);
    if (d !== undefined && unchangedPair(s, d, sameTime, perms)) {
      dst.delete(path);
      omitted++;
    } else {
      src.set(path, s);
    }
  }
  const total = total0 + omitted;
  return { source: { ...source, entries: src, omitted: total }, destination: { ...destination, entries: dst, omitted: total } };
}

/** Entries a snapshot stands for, the omitted ones included. */
export function entryCount(s: Snapshot): number {
  return s.entries.size + (s.omitted ?? 0);
}
