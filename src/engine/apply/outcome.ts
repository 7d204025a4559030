/** The Outcome of one action, from its tree step's result or from an error thrown around it. */
import { describeError } from '../errors.js';
import type { StepResult } from '../backends/tree.js';
import type { Action, Outcome } from '../types.js';

export function outcomeOf(action: Action, step: StepResult): Outcome {
  const bytes = step.status === 'done' && (action.op === 'copy' || action.op === 'update') ? action.source.size : 0;
  return { action, status: step.status, bytes, ...(step.error ? { error: step.error } : {}) };
}

export function failedOutcome(action: Action, err: unknown): Outcome {
  return { action, status: 'failed', bytes: 0, error: describeError(err) };
}
