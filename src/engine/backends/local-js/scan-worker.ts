/** Worker-thread entry: scans one tree and posts the Snapshot back (see scan-both.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { createFilter, type FilterRules } from '../../scan/filter.js';
import { packSnapshot } from '../../scan/pack.js';
import { scanTree, type Side } from './scan-tree.js';

interface Job {
  readonly root: string;
  readonly side: Side;
  readonly rules: FilterRules;
}

const job = workerData as Job;
try {
  const packed = packSnapshot(scanTree(job.root, job.side, createFilter(job.rules)));
  parentPort?.postMessage({ ok: true, packed }, [packed.kinds.buffer as ArrayBuffer, packed.numbers.buffer as ArrayBuffer]);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  parentPort?.postMessage({ ok: false, error: { message: e.message, code: e.code } });
}
