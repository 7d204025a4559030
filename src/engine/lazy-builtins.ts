/**
 * Node built-ins loaded on first use, not at start: crypto (temporary names, digests), child_process (`ps`, for a
 * lock's owner on macOS) and worker_threads (the JavaScript scan's worker), with what they pull in (net, dgram,
 * streams, ...). A run that changes nothing needs none of them. Measured here: 6-7 ms of a 90 ms one-file run of the
 * bin (median of 41 alternated runs), a few percent of a 20k no-change resync.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const lazyCrypto = (): typeof import('node:crypto') => load('node:crypto') as typeof import('node:crypto');
export const lazyChildProcess = (): typeof import('node:child_process') => load('node:child_process') as typeof import('node:child_process');
export const lazyWorkerThreads = (): typeof import('node:worker_threads') => load('node:worker_threads') as typeof import('node:worker_threads');
