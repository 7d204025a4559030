/** The Outcome of one apply step, from what the step reported or threw: shared by the one-by-one and batched paths. */
import { describeError, isGone } from '../errors.js';
import type { Action, Outcome } from '../types.js';
import type { WriteResult } from './write-result.js';

export function outcomeOf(action: Action, status: WriteResult): Outcome {
  const bytes = status === 'done' && (action.op === 'copy' || action.op === 'update') ? action.source.size : 0;
  return { action, status, bytes };
}

export function failedOutcome(action: Action, err: unknown): Outcome {
  // A destination parent removed under us is a race, not a failure: the next run converges.
  if (isGone(err) && action.op === 'setAttrs') return { action, status: 'vanished', bytes: 0 };
  return { action, status: 'failed', bytes: 0, error: describeError(err) };
}
