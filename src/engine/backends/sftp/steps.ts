/** StepResults from what a remote step reported or threw. */
import { describeError } from '../../errors.js';
import type { RelPath } from '../../types.js';
import type { StepResult } from '../tree.js';
import type { RemoteParentGuard } from './remote-guard.js';

export const DONE: StepResult = { status: 'done' };
export const VANISHED: StepResult = { status: 'vanished' };
export const CHANGED: StepResult = { status: 'changed-since-scan' };

export function failed(err: unknown): StepResult {
  return { status: 'failed', error: describeError(err) };
}

/**
 * Every item's failure when `parent`, or a folder above it, is not a real folder (or cannot be looked at); undefined
 * when the batch may go on. Each remote step checks its folder so before it touches anything in it.
 */
export async function parentRefusal(guard: RemoteParentGuard, parent: RelPath, items: readonly unknown[]): Promise<StepResult[] | undefined> {
  try {
    await guard.check(parent);
    return undefined;
  } catch (err) {
    return items.map(() => failed(err));
  }
}

/** A folder on the way is not a real folder: nothing is written through it. */
export class UnsafeParentError extends Error {
  readonly code = 'EUNSAFE';
}

/** Tries before a source file that keeps changing while it is copied is reported as torn (as the local engine). */
export const TRIES = 3;

/** A source changed less than this long ago may still be being written (as local-js/js-tree.ts: two kernel ticks, with margin). */
export const RECENT_MS = 10;
/** How long a source may keep being that recent before the copy goes on regardless (the check after reading decides). */
export const RECENT_WAIT_MS = 250;

/** The perl helper ended (killed on the server) while the connection lives: what it did not answer goes over SFTP. */
export class HelperEndedError extends Error {
  readonly code = 'EHELPER';
}

export class TornCopyError extends Error {
  readonly code = 'ETORN';
}

/**
 * A sub-second mtime that could not be set: the session's own failure when the connection is gone (the stamper's
 * channel went with it), else a one-line cause of its own (a code describeError keeps the message for).
 */
export function mtimeFailure(session: { readonly failed: Error | undefined }, what = 'the sub-second mtime'): Error {
  return session.failed ?? Object.assign(new Error(`cannot set ${what} on the server`), { code: 'EMTIME' });
}
