/**
 * Both trees of a run. The native scanner (native-scan.ts) walks them on two threads at once and leaves identical
 * pairs out; it has no filters, so it serves the common case. Everything else (filters, no addon) goes through
 * scan-both-js.ts, loaded only then, so a run that does not need the JavaScript scanner does not pay for loading it.
 */
import type { Snapshot } from '../types.js';
import { createFilter, type FilterRules } from './filter.js';
import { nativeAddon } from '../native.js';
import { scanPairNative, scanTreeNative } from './native-scan.js';

export interface ScanJob {
  readonly source: string;
  readonly destination: string;
  readonly rules: FilterRules;
  /** Leave identical file/symlink pairs out of both snapshots (the quick check; see plan/omit-unchanged.ts). */
  readonly omitUnchanged?: boolean;
}

/** Both snapshots; `destination` is undefined when `job.destination` is '' (it does not exist yet). */
export async function scanBoth(job: ScanJob): Promise<{ source: Snapshot; destination: Snapshot | undefined }> {
  const filter = createFilter(job.rules);
  const native = filter.active ? undefined : nativeAddon();
  if (!native) return (await import('./scan-both-js.js')).scanBothJs(job, filter);
  if (job.destination === '') return { source: await scanTreeNative(native, job.source, 'source'), destination: undefined };
  return scanPairNative(native, job.source, job.destination, job.omitUnchanged === true);
}

/** The destination alone (the gulp plugin's source comes from its stream): natively when there are no filters. */
export async function scanDestination(root: string, rules: FilterRules): Promise<Snapshot> {
  const filter = createFilter(rules);
  const native = filter.active ? undefined : nativeAddon();
  if (native) return scanTreeNative(native, root, 'destination');
  return (await import('./scan-tree.js')).scanTree(root, 'destination', filter);
}
