/**
 * Both trees without the native addon (or with filters, which only the JavaScript scanner applies): the source on
 * this thread and the destination on a worker thread at the same time, which on two cores beats one thread.
 * Small trees are not worth a worker's start-up (~30 ms), so the destination is scanned inline when the source
 * scan was quick or a worker cannot be started.
 */
import { Worker } from 'node:worker_threads';
import type { Snapshot } from '../types.js';
import type { PathFilter } from './filter.js';
import { type PackedSnapshot, unpackSnapshot } from './pack.js';
import type { ScanJob } from './scan-both.js';
import { scanTree } from './scan-tree.js';

/** A destination scan on a worker thread that can be called off before it reports. */
function scanInWorker(root: string, rules: ScanJob['rules']): { result: Promise<Snapshot>; cancel: () => void } {
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

/**
 * Both snapshots with scanTree; `destination` is undefined when `job.destination` is ''. `filter` is `job.rules`
 * compiled (by scanBoth); the worker compiles its own from the rules, since a function cannot cross to it.
 */
export async function scanBothJs(job: ScanJob, filter: PathFilter): Promise<{ source: Snapshot; destination: Snapshot | undefined }> {
  if (job.destination === '') return { source: scanTree(job.source, 'source', filter), destination: undefined };
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
