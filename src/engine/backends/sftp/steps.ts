/** StepResults from what a remote step reported or threw. */
import { describeError } from '../../errors.js';
import type { StepResult } from '../tree.js';

export const DONE: StepResult = { status: 'done' };
export const VANISHED: StepResult = { status: 'vanished' };
export const CHANGED: StepResult = { status: 'changed-since-scan' };

export function failed(err: unknown): StepResult {
  return { status: 'failed', error: describeError(err) };
}

/** A folder on the way is not a real folder: nothing is written through it. */
export class UnsafeParentError extends Error {
  readonly code = 'EUNSAFE';
}

/** Tries before a source file that keeps changing while it is copied is reported as torn (as the local engine). */
export const TRIES = 3;

export class TornCopyError extends Error {
  readonly code = 'ETORN';
}
