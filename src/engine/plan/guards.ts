/** Refusals decided from the plan alone, before anything is written. */
import { AbsyncError } from '../errors.js';
import type { Plan, RelPath, Snapshot } from '../types.js';
import { entryCount } from './omit-unchanged.js';

export interface GuardRules {
  readonly maxDelete: number;
  readonly allowEmptySource: boolean;
  /** Destination entries the run keeps because their source exists (PlanRules.isKept): they count as source. */
  readonly keep?: (path: RelPath, isDir: boolean) => boolean;
}

/**
 * A near-empty source: the plan deletes at least this many entries and nearly all of the destination, from a source
 * with fewer than half the destination's entries. A source as large as the destination whose names all changed
 * (content-hashed build output) is a normal deploy, not a mistyped path or an unmounted disk.
 */
const MASS_DELETE_MIN = 1000;
const MASS_DELETE_SHARE = 0.95;
const MASS_DELETE_SOURCE_SHARE = 0.5;

function deletes(plan: Plan): string[] {
  return plan.actions.filter((a) => a.op === 'delete').map((a) => a.path);
}

function keptCount(source: Snapshot, destination: Snapshot, keep: GuardRules['keep']): number {
  if (keep === undefined) return 0;
  let n = 0;
  for (const [path, d] of destination.entries) if (!source.entries.has(path) && keep(path, d.kind === 'dir')) n++;
  return n;
}

/** Throws an AbsyncError when the plan must not run. */
export function guardPlan(plan: Plan, source: Snapshot, destination: Snapshot, rules: GuardRules): void {
  const gone = deletes(plan);
  if (gone.length === 0) return;
  const example = gone.slice(0, 3).map((p) => JSON.stringify(p)).join(', ');
  const total = entryCount(destination);
  // An incremental run sees only the changed paths: a deleted file there is not an empty source.
  if (!rules.allowEmptySource && source.scope === undefined) {
    const size = entryCount(source) + keptCount(source, destination, rules.keep);
    if (size === 0) {
      throw new AbsyncError(
        'E_EMPTY_SOURCE',
        `refusing to sync: source ${source.root} is empty and would delete all ${gone.length} entries of ${destination.root} (e.g. ${example}); check the path, or pass allowEmptySource: true`,
        source.root,
        'allowEmptySource',
      );
    }
    if (gone.length >= MASS_DELETE_MIN && gone.length >= total * MASS_DELETE_SHARE && size < total * MASS_DELETE_SOURCE_SHARE) {
      throw new AbsyncError(
        'E_EMPTY_SOURCE',
        `refusing to sync: source ${source.root} has only ${size} entries and would delete ${gone.length} of ${total} entries of ${destination.root}; check the path, or pass allowEmptySource: true`,
        source.root,
        'allowEmptySource',
      );
    }
  }
  if (gone.length > rules.maxDelete) {
    throw new AbsyncError(
      'E_MAX_DELETE',
      `refusing to sync: it would delete ${gone.length} entries from ${destination.root} (e.g. ${example}), more than maxDelete: ${rules.maxDelete}`,
      destination.root,
      'maxDelete',
    );
  }
}
