/** Names the engine itself writes into a destination: never mirrored, never treated as user data. */

/** Prefix of every temporary file or folder the engine creates; leftovers of a killed run are removed. */
export const TMP_PREFIX = '.absync-tmp.';
/** The lock file in the destination root. */
export const LOCK_NAME = '.absync.lock';

export function isTempName(name: string): boolean {
  return name.startsWith(TMP_PREFIX);
}
