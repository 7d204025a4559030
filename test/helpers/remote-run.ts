/**
 * One mirror run into a remote destination through the storage seam, as sync.ts runs one locally: lock, scan both
 * trees, plan (with the destination's capabilities), remove leftovers, apply, unlock, the root's mtime. Until the
 * remote destination is wired into sync() itself (phase B), the remote tests drive the engine's own phases with it.
 */
import { applyPlan } from '../../src/engine/apply/apply-plan.js';
import type { SftpTree } from '../../src/engine/backends/sftp/index.js';
import { AbsyncError, makePlan, resolveOptions, type SyncOptions } from '../../src/engine/index.js';
import { scanTrees } from '../../src/engine/scan/scan-trees.js';
import { summarize } from '../../src/engine/summary.js';
import type { Outcome, Plan, Summary } from '../../src/engine/types.js';
import { localTree } from './remote.js';

export interface RemoteRun {
  readonly plan: Plan;
  readonly outcomes: readonly Outcome[];
  readonly summary: Summary;
}

/** Mirrors local `source` into `tree` (left open); `options` are sync()'s (destination is only a placeholder). */
export async function mirrorRemote(source: string, tree: SftpTree, options: Omit<SyncOptions, 'source' | 'destination'> = {}): Promise<RemoteRun> {
  const startedAt = performance.now();
  const resolved = resolveOptions({ ...options, source, destination: '/nonexistent-remote-placeholder' });
  const src = localTree(source);
  const rules = { exclude: resolved.exclude, include: resolved.include };
  const trace = process.env.ABSYNC_TRACE === '1' ? (phase: string) => process.stderr.write(`absync trace: ${phase} ${(performance.now() - startedAt).toFixed(1)} ms\n`) : () => undefined;
  const lock = resolved.dryRun ? undefined : await tree.lock(resolved.lockTimeout, true);
  trace('lock');
  try {
    const scanned = await scanTrees(src, tree, { rules, omitUnchanged: !resolved.checksum, compareModes: true });
    trace('scan');
    const plan = await makePlan(resolved, scanned.source, scanned.destination, undefined, { source: src, destination: tree });
    trace('plan');
    let outcomes: Outcome[] = [];
    if (!resolved.dryRun) {
      await tree.removeLeftovers(scanned.destination.leftovers ?? []);
      outcomes = await applyPlan({ source: src, destination: tree, snapshot: scanned.source }, plan, resolved.concurrency);
      await lock?.release();
      const want = scanned.source.rootEntry;
      if (want) await tree.setAttrs('', [{ name: '', kind: 'dir', mtimeMs: want.mtimeMs }]);
    }
    return { plan, outcomes, summary: summarize({ source, destination: tree.root, plan, ...(resolved.dryRun ? {} : { outcomes }), startedAt, now: performance.now() }) };
  } catch (err) {
    await lock?.release({ refused: err instanceof AbsyncError });
    throw err;
  } finally {
    await lock?.release();
    await src.close();
  }
}
