/**
 * Both trees with the JavaScript scanner: the source on this thread and the destination on a worker thread at the
 * same time, which on two cores beats one thread. Small trees are not worth a worker's start-up (~30 ms), so the
 * destination is scanned inline when the source scan was quick or a worker cannot be started.
 */
import { lazyWorkerThreads } from '../../lazy-builtins.js';
import { createFilter, type FilterRules } from '../../scan/filter.js';
import { type PackedSnapshot, unpackSnapshot } from '../../scan/pack.js';
import type { Snapshot } from '../../types.js';
import { scanTree } from './scan-tree.js';

/** A destination scan on a worker thread that can be called off before it reports. */
function scanInWorker(root: string, rules: FilterRules): { result: Promise<Snapshot>; cancel: () => void } {
  const worker = new (lazyWorkerThreads().Worker)(new URL('./scan-worker.js', import.meta.url), {
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

/** Both snapshots with scanTree. */
export async function scanBothJs(source: string, destination: string, rules: FilterRules): Promise<{ source: Snapshot; destination: Snapshot }> {
  const filter = createFilter(rules);
  // The worker boots (50-100 ms here) while this thread scans the source.
  const worker = scanInWorker(destination, rules);
  const started = performance.now();
  const src = scanTree(source, 'source', filter);
  if (performance.now() - started < SMALL_SCAN_MS) {
    worker.cancel();
    worker.result.catch(() => undefined);
    return { source: src, destination: scanTree(destination, 'destination', filter) };
  }
  return { source: src, destination: await worker.result };
}
