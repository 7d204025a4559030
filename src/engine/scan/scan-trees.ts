/**
 * The scan phase: both trees of a run, read-only. A tree that knows a faster way for the pair (the native addon walks
 * both on two threads and leaves identical pairs out; the JavaScript tree scans the destination on a worker) does it;
 * otherwise each tree is scanned on its own. An incremental run (a watcher's changed paths) scans just those.
 */
import type { DestinationTree, SourceTree } from '../backends/tree.js';
import type { RelPath, Snapshot } from '../types.js';
import type { FilterRules } from './filter.js';

/** The source's scan failed (told apart from the destination's: a remote destination's failures are the connection's). */
export class SourceScanError extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'SourceScanError';
  }
}

export interface ScanJob {
  readonly rules: FilterRules;
  /** The destination's own rules when they differ (deleteExcluded: the user's filters apply to the source only). */
  readonly destinationRules?: FilterRules;
  /** Only these paths (a watcher's changes), or everything. */
  readonly scope?: readonly RelPath[];
  /** Leave identical file/symlink pairs out of both snapshots (the quick check; plan/omit-unchanged.ts). */
  readonly omitUnchanged: boolean;
  readonly compareModes: boolean;
  /** The source's scan, already under way (a remote run starts it before it connects). */
  readonly sourceScan?: Promise<Snapshot>;
}

export async function scanTrees(source: SourceTree, destination: DestinationTree, job: ScanJob): Promise<{ source: Snapshot; destination: Snapshot }> {
  const scope = job.scope ? { scope: job.scope } : {};
  const destRules = job.destinationRules ?? job.rules;
  // Only a tree that can scan a pair needs the root looked at first (a remote one would pay a round trip for nothing).
  if (!job.scope && !job.sourceScan && destRules === job.rules && destination.scanPair && (await destination.rootEntry())) {
    const pair = destination.scanPair?.(source, { rules: job.rules, omitUnchanged: job.omitUnchanged, compareModes: job.compareModes });
    if (pair) return pair;
  }
  const [src, dst] = await Promise.all([
    (job.sourceScan ?? source.scan({ side: 'source', rules: job.rules, ...scope })).catch((err: unknown) => {
      throw new SourceScanError(err);
    }),
    destination.scan({ side: 'destination', rules: destRules, ...scope }),
  ]);
  return { source: src, destination: dst };
}
