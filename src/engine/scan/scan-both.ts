/**
 * Scans the source on this thread and the destination on a worker thread at the same time: on a two-core machine
 * this is the one way measured to bring a no-change resync well under rsync's time (shared/PERFORMANCE.md).
 * Small trees are not worth a worker's start-up (~30 ms), so the destination is scanned inline when the caller
 * says it is small or a worker cannot be started.
 */
import { Worker } from 'node:worker_threads';
import type { Snapshot } from '../types.js';
import { createFilter, type FilterRules } from './filter.js';
import { nativeScanner, scanPairNative, scanTreeNative } from './native-scan.js';
import { type PackedSnapshot, unpackSnapshot } from './pack.js';
import { scanTree } from './scan-tree.js';

export interface ScanJob {
  readonly source: string;
  readonly destination: string;
  readonly rules: FilterRules;
  /** Scan the destination on a worker thread. */
  readonly parallel: boolean;
  /** Leave identical file/symlink pairs out of both snapshots (the quick check; see plan/omit-unchanged.ts). */
  readonly omitUnchanged?: boolean;
}

/** A destination scan on a worker thread that can be called off before it reports. */
function scanInWorker(root: string, rules: FilterRules): { result: Promise<Snapshot>; cancel: () => void } {
  const worker = new Worker(new URL('./scan-worker.js', import.meta.url), {
    workerData: { root, side: 'destination', rules },
  });
  const result = new Promise<Snapshot>((resolve, reject) => {
    worker.once('message', (msg: { ok: true; packed: PackedSnapshot } | { ok: false; error: { message: string; code?: string } }) => {
      if (msg.ok) resolve(unpackSnapshot(msg.packed));
      else reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
      void worker.terminate();
    });
    worker.once('error', reject);
  });
  return { result, cancel: () => void worker.terminate() };
}

/** A source scanned faster than this is a small tree: scanning the destination here beats waiting for the worker. */
const SMALL_SCAN_MS = 25;

/** Both snapshots; `destination` is undefined when `job.destination` is '' (it does not exist yet). */
export async function scanBoth(job: ScanJob): Promise<{ source: Snapshot; destination: Snapshot | undefined }> {
  const filter = createFilter(job.rules);
  // The native scanner walks both trees on two pool threads at once; it has no filters, so it serves the common case.
  const native = filter.active ? undefined : nativeScanner();
  if (native) {
    if (job.destination === '') return { source: await scanTreeNative(native, job.source, 'source'), destination: undefined };
    return scanPairNative(native, job.source, job.destination, job.omitUnchanged === true);
  }
  if (job.destination === '') return { source: scanTree(job.source, 'source', filter), destination: undefined };
  if (!job.parallel) {
    return { source: scanTree(job.source, 'source', filter), destination: scanTree(job.destination, 'destination', filter) };
  }
  // The worker boots (50-100 ms here) while this thread scans the source.
  const worker = scanInWorker(job.destination, job.rules);
  const started = performance.now();
  const source = scanTree(job.source, 'source', filter);
  if (performance.now() - started < SMALL_SCAN_MS) {
    worker.cancel();
    worker.result.catch(() => undefined);
    return { source, destination: scanTree(job.destination, 'destination', filter) };
  }
  return { source, destination: await worker.result };
}
