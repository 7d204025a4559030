/** What a write step reports, shared by the JavaScript (write-file.ts) and native (write-native.ts) paths. */
export type WriteResult = 'done' | 'vanished' | 'changed-since-scan';

/** Tries before a file that keeps changing while it is copied is reported as torn (native/copy.c: the same). */
export const TRIES = 3;

export class TornCopyError extends Error {
  readonly code = 'ETORN';
}
