/** The refusals made before anything is read or written: missing source, nested roots, a file as destination. */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AbsyncError, describeError, isGone } from './errors.js';
import { isInsideAbs } from './paths.js';

export interface Roots {
  /** Real path of the source folder. */
  readonly source: string;
  /** Real path of the destination folder (or of where it will be created). */
  readonly destination: string;
  readonly destinationExists: boolean;
}

/** Resolves symlinks in a path that may not exist yet, through its nearest existing ancestor. */
async function realpathLoose(path: string): Promise<{ path: string; exists: boolean }> {
  try {
    return { path: await realpath(path), exists: true };
  } catch (err) {
    // ENOTDIR (a parent is a file) is not "missing": the caller refuses it.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const parent = dirname(path);
    if (parent === path) throw err;
    const up = await realpathLoose(parent);
    if (up.exists && !(await stat(up.path)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    return { path: join(up.path, basename(path)), exists: false };
  }
}

export async function checkSource(source: string): Promise<string> {
  let st;
  try {
    st = await stat(source);
  } catch (err) {
    if (isGone(err)) throw new AbsyncError('E_SOURCE_MISSING', `source folder does not exist: ${source}`, source);
    throw new AbsyncError('E_SOURCE_UNREADABLE', `cannot read source ${source}: ${describeError(err).message}`, source);
  }
  if (!st.isDirectory()) throw new AbsyncError('E_SOURCE_NOT_DIR', `source is not a folder: ${source}`, source);
  try {
    await access(source, constants.R_OK | constants.X_OK);
  } catch (err) {
    throw new AbsyncError('E_SOURCE_UNREADABLE', `cannot read source folder ${source}: ${describeError(err).message}`, source);
  }
  return realpath(source);
}

/**
 * `mkpath` false (the CLI's default, like rsync's): a missing destination is created only when its parent exists, so
 * a mistyped parent is refused instead of becoming a new tree somewhere.
 */
export async function checkDestination(destination: string, mkpath = true): Promise<{ path: string; exists: boolean }> {
  let real;
  try {
    real = await realpathLoose(destination);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new AbsyncError('E_DEST_NOT_DIR', `destination is not a folder (a parent is a file): ${destination}`, destination);
    }
    throw new AbsyncError('E_DEST_NOT_DIR', `cannot use destination ${destination}: ${describeError(err).message}`, destination);
  }
  if (real.exists && !(await stat(real.path)).isDirectory()) {
    throw new AbsyncError('E_DEST_NOT_DIR', `destination exists and is not a folder: ${destination}`, destination);
  }
  if (!real.exists && !mkpath && !(await stat(dirname(real.path)).then(() => true, () => false))) {
    const err = new AbsyncError('E_DEST_NOT_DIR', `the parent folder of destination ${destination} does not exist (mkpath creates it)`, destination);
    throw Object.defineProperty(err, 'option', { value: 'mkpath', enumerable: true });
  }
  return real;
}

export function checkNesting(source: string, destination: string): void {
  if (source === destination) {
    throw new AbsyncError('E_SAME_PATH', `source and destination are the same folder: ${source}`, destination);
  }
  if (isInsideAbs(destination, source)) {
    throw new AbsyncError('E_NESTED', `destination ${destination} is inside source ${source}`, destination);
  }
  if (isInsideAbs(source, destination)) {
    throw new AbsyncError('E_NESTED', `source ${source} is inside destination ${destination}`, source);
  }
}

export async function resolveRoots(source: string, destination: string, mkpath = true): Promise<Roots> {
  const src = await checkSource(source);
  const dst = await checkDestination(destination, mkpath);
  checkNesting(src, dst.path);
  return { source: src, destination: dst.path, destinationExists: dst.exists };
}
