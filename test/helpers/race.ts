/** Scan and plan, change the disk, then apply the old plan: how races between scan and apply are tested. */
import { applyPlan } from '../../src/engine/apply/apply-plan.js';
import { openTrees } from '../../src/engine/backends/choose.js';
import { resolveOptions } from '../../src/engine/options.js';
import { scanTrees } from '../../src/engine/scan/scan-trees.js';
import { summarize } from '../../src/engine/summary.js';
import { makePlan } from '../../src/engine/sync.js';
import type { Summary } from '../../src/engine/types.js';

/** The trees are those the run would use (native where the addon is there, unless ABSYNC_NO_NATIVE=1). */
export async function planThenApply(src: string, dst: string, mutate: () => void): Promise<Summary> {
  const options = resolveOptions({ source: src, destination: dst });
  const trees = openTrees({ source: src, destination: dst });
  try {
    const { source, destination } = await scanTrees(trees.source, trees.destination, { rules: { exclude: [], include: [] }, omitUnchanged: false, compareModes: true });
    const plan = await makePlan(options, source, destination, undefined, trees);
    mutate();
    const outcomes = await applyPlan({ source: trees.source, destination: trees.destination, snapshot: source }, plan, 4);
    return summarize({ source: src, destination: dst, plan, outcomes, startedAt: 0, now: 1 });
  } finally {
    await trees.source.close();
    await trees.destination.close();
  }
}
