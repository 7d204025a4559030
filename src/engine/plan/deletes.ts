/** The delete pass: destination entries the source does not have, unless they must stay (keep.ts). Pure. */
import type { DeleteAction, Failure } from '../types.js';
import { kept, type PlanContext, type Touched } from './context.js';
import { fingerprintOf } from './fingerprint.js';

export interface Extraneous {
  readonly removals: DeleteAction[];
  /** Unreadable destination entries that the run would have deleted: reported, never silently kept. */
  readonly failures: Failure[];
}

export function extraneous(ctx: PlanContext, touched: Touched): Extraneous {
  const removals: DeleteAction[] = [];
  const failures: Failure[] = [];
  if (!ctx.rules.delete) return { removals, failures };
  for (const [path, d] of ctx.dst) {
    if (ctx.src.has(path)) continue;
    if (d.kind === 'problem') {
      if (!ctx.keep.blocked(path)) failures.push({ path, op: 'delete', code: d.code, message: `cannot read destination: ${d.message}` });
      continue;
    }
    if (kept(ctx, path, d)) continue;
    removals.push({ op: 'delete', path, reason: 'extraneous', expect: fingerprintOf(d) });
    touched.add(path);
  }
  return { removals, failures };
}
