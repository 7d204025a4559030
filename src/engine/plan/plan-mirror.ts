/**
 * The planner: a pure function of the two snapshots, the digests asked for by hashNeeds, and the rules. No file
 * system, clock or randomness here. It runs named passes, each a small pure function with its own tests:
 *   renames (whole folders) -> pair (each source entry against its destination twin) -> deletes (extraneous
 *   entries) -> file moves (deleted or overwritten content that a copy needs) -> folder attributes,
 * and order.ts puts their actions in the order apply runs them.
 */
import type { Digests, Entry, Plan, RenameAction, Snapshot } from '../types.js';
import { sameTimeFor } from './compare.js';
import { type PlanContext, Touched } from './context.js';
import { extraneous } from './deletes.js';
import { fileMoves } from './file-moves.js';
import { fingerprintOf } from './fingerprint.js';
import { folderAttrs } from './folder-attrs.js';
import { keepOf } from './keep.js';
import { orderActions } from './order.js';
import { pairEntries } from './pair.js';
import { findDirMoves, rebase } from './renames.js';
import type { PlanRules } from './rules.js';

export type { PlanRules } from './rules.js';

export interface PlanInput {
  readonly source: Snapshot;
  readonly destination: Snapshot;
  readonly digests?: Digests;
}

const NO_DIGESTS: Digests = new Map();

export function planMirror(input: PlanInput, rules: PlanRules): Plan {
  const src = input.source.entries;
  const digests = input.digests ?? NO_DIGESTS;
  const keep = keepOf(input.source, input.destination, rules.isProtected, rules.isKept);
  const dirMoves = rules.detectRenames
    ? findDirMoves({ src, dst: input.destination.entries, digests, pinned: keep.pinned, blocked: keep.blocked })
    : [];
  const { entries: dst, origin } = rebase(input.destination.entries, dirMoves);
  const ctx: PlanContext = {
    src, dst, digests, keep, rules,
    destDigest: (path) => digests.get(origin.get(path) ?? path)?.destination,
    sameTime: sameTimeFor(rules),
  };

  const touched = new Touched();
  const paired = pairEntries(ctx, touched);
  const gone = extraneous(ctx, touched);
  const moved = fileMoves(ctx, paired.contents, [...paired.typeRemovals, ...gone.removals], paired.replaced, touched);
  for (const m of dirMoves) {
    touched.add(m.from);
    touched.add(m.to);
  }
  const dirAttrs = folderAttrs(ctx, touched, paired.replaced, { source: input.source.rootEntry, destination: input.destination.rootEntry });
  const renames: RenameAction[] = dirMoves.map((m) => ({
    op: 'rename', path: m.to, from: m.from, reason: 'renamed', expect: fingerprintOf(input.destination.entries.get(m.from) as Entry),
  }));

  const actions = orderActions({
    renames, stage: moved.stage, removals: moved.removals, mkdirs: paired.mkdirs, unstage: moved.unstage,
    contents: moved.contents, links: paired.links, attrs: [...paired.attrs, ...moved.attrs], dirAttrs,
  });
  let bytesToCopy = 0;
  for (const c of moved.contents) bytesToCopy += c.source.size;
  return { actions, skipped: paired.skipped, failures: [...paired.failures, ...gone.failures], bytesToCopy };
}
