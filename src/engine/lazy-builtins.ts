/**
 * Node built-ins loaded on first use, not at start: crypto (temporary names, digests), child_process (`ps`, for a
 * lock's owner on macOS) and worker_threads (the JavaScript scan's worker) with what they pull in (net, dgram, ...)
 * cost every run about 30 ms of start-up, and a run that changes nothing needs none of them.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const lazyCrypto = (): typeof import('node:crypto') => load('node:crypto') as typeof import('node:crypto');
export const lazyChildProcess = (): typeof import('node:child_process') => load('node:child_process') as typeof import('node:child_process');
export const lazyWorkerThreads = (): typeof import('node:worker_threads') => load('node:worker_threads') as typeof import('node:worker_threads');
