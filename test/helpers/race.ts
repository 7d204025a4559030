/** Scan and plan, change the disk, then apply the old plan: how races between scan and apply are tested. */
import { applyPlan } from '../../src/engine/apply/apply-plan.js';
import { ParentGuard } from '../../src/engine/apply/safe-parent.js';
import { resolveOptions } from '../../src/engine/options.js';
import { scanTree } from '../../src/engine/scan/scan-tree.js';
import { summarize } from '../../src/engine/summary.js';
import { makePlan } from '../../src/engine/sync.js';
import type { Summary } from '../../src/engine/types.js';

export async function planThenApply(src: string, dst: string, mutate: () => void): Promise<Summary> {
  const options = resolveOptions({ source: src, destination: dst });
  const source = scanTree(src, 'source');
  const destination = scanTree(dst, 'destination');
  const plan = await makePlan(options, source, destination);
  mutate();
  const outcomes = await applyPlan({ root: dst, source, parents: new ParentGuard(dst), slots: new Map() }, plan, 4);
  return summarize({ source: src, destination: dst, plan, outcomes, startedAt: 0, now: 1 });
}
