/**
 * Names the engine writes into a destination (engine/reserved.ts, not exported through the engine's index):
 * a vinyl file must never be mirrored under one of them, and the watcher ignores them.
 */
const TMP_PREFIX = '.absync-tmp.';
const LOCK_NAME = '.absync.lock';

/** True for a relative path the engine reserves: a temporary name at any depth, or the lock file in the root. */
export function isReservedPath(path: string): boolean {
  if (path === LOCK_NAME) return true;
  return path.split('/').some((name) => name.startsWith(TMP_PREFIX));
}

/** The same test for a base name seen by the watcher (the lock file only matters in a root, but never triggers). */
export function isReservedName(name: string): boolean {
  return name === LOCK_NAME || name.startsWith(TMP_PREFIX);
}
