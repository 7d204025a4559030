/**
 * Scans the source on this thread and the destination on a worker thread at the same time: on a two-core machine
 * this is the one way measured to bring a no-change resync well under rsync's time (shared/PERFORMANCE.md).
 * Small trees are not worth a worker's start-up (~30 ms), so the destination is scanned inline when the caller
 * says it is small or a worker cannot be started.
 */
import { Worker } from 'node:worker_threads';
import type { Snapshot } from '../types.js';
import { createFilter, type FilterRules } from './filter.js';
import { type PackedSnapshot, unpackSnapshot } from './pack.js';
import { scanTree } from './scan-tree.js';

export interface ScanJob {
  readonly source: string;
  readonly destination: string;
  readonly rules: FilterRules;
  /** Scan the destination on a worker thread. */
  readonly parallel: boolean;
}

function scanInWorker(root: string, rules: FilterRules): Promise<Snapshot> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./scan-worker.js', import.meta.url), {
      workerData: { root, side: 'destination', rules },
    });
    worker.once('message', (msg: { ok: true; packed: PackedSnapshot } | { ok: false; error: { message: string; code?: string } }) => {
      if (msg.ok) resolve(unpackSnapshot(msg.packed));
      else reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

/** Both snapshots; `destination` is undefined when `job.destination` is '' (it does not exist yet). */
export async function scanBoth(job: ScanJob): Promise<{ source: Snapshot; destination: Snapshot | undefined }> {
  const filter = createFilter(job.rules);
  if (job.destination === '') return { source: scanTree(job.source, 'source', filter), destination: undefined };
  if (!job.parallel) {
    return { source: scanTree(job.source, 'source', filter), destination: scanTree(job.destination, 'destination', filter) };
  }
  const pending = scanInWorker(job.destination, job.rules);
  // Let the worker start before this thread is busy with its own scan.
  const source = scanTree(job.source, 'source', filter);
  return { source, destination: await pending };
}
