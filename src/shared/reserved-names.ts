/** Names the engine writes into a destination: a vinyl file is never mirrored under one, and the watcher ignores them. */
import { isTempName, LOCK_NAME } from '../engine/index.js';

/** True for a relative path the engine reserves: a temporary name at any depth, or the lock file in the root. */
export function isReservedPath(path: string): boolean {
  return path === LOCK_NAME || path.split('/').some(isTempName);
}

/** The same test for a base name seen by the watcher (the lock file only matters in a root, but never triggers). */
export function isReservedName(name: string): boolean {
  return name === LOCK_NAME || isTempName(name);
}
