/** The refusals made before anything is read or written: missing source, nested roots, a file as destination. */
import { constants } from 'node:fs';
import { realpathSync, statfsSync } from 'node:fs';
import { access, lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, parse, relative, resolve, sep } from 'node:path';
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

/** Linux pseudo file systems (statfs f_type): files there are kernel interfaces, not data to mirror into. */
const PSEUDO: Record<number, string> = {
  0x9fa0: 'proc', 0x62656572: 'sysfs', 0x64626720: 'debugfs', 0x73636673: 'securityfs', 0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2', 0x74726163: 'tracefs', 0x1cd1: 'devpts', 0xcafe4a11: 'bpf', 0x62656570: 'configfs',
  0x6165676c: 'pstore', 0xde5e81e4: 'efivarfs', 0x42494e4d: 'binfmt_misc',
};

/** The pseudo file system `path` (or its nearest existing folder) lies on, if any. Synchronous: faces check a path when it is given (a log file). */
export function pseudoFileSystemSync(path: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  for (let p = path; ; p = dirname(p)) {
    try {
      return PSEUDO[statfsSync(p).type];
    } catch {
      if (dirname(p) === p) return undefined;
    }
  }
}

/** `path` with symlinks resolved through its nearest existing folder (the rest kept as given). */
export function realpathLooseSync(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realpathLooseSync(parent), basename(path));
  }
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
    throw new AbsyncError('E_DEST_NOT_DIR', `the parent folder of destination ${destination} does not exist (mkpath creates it)`, destination, 'mkpath');
  }
  const pseudo = pseudoFileSystemSync(real.path);
  if (pseudo) throw new AbsyncError('E_DEST_NOT_DIR', `destination ${destination} is on the ${pseudo} pseudo file system (kernel interfaces, not files); refusing to write there`, destination);
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

/**
 * The backup folder's real path (undefined for none), compared with the other roots by real paths: it must not be the
 * destination, nor lie inside the source, nor hold the source or the destination (its relative paths would then land
 * in them). Inside the destination it is fine: the run leaves it out of the mirror.
 */
export async function checkBackupDir(backupDir: string, source: string, destination: string, givenDestination = destination): Promise<string | undefined> {
  if (backupDir === '') return undefined;
  let real: string;
  try {
    real = await backupRealpath(backupDir, destination, givenDestination);
  } catch (err) {
    if (err instanceof AbsyncError) throw err;
    throw new AbsyncError('E_NESTED', `cannot use backup folder ${backupDir}: ${describeError(err).message}`, backupDir);
  }
  const bad =
    real === destination ? 'is the destination'
    : isInsideAbs(real, source) ? `is inside the source ${source}`
    : isInsideAbs(source, real) ? `holds the source ${source}`
    : isInsideAbs(destination, real) ? `holds the destination ${destination}`
    : '';
  if (bad) throw new AbsyncError('E_NESTED', `backup folder ${backupDir}${real !== backupDir ? ` (${real})` : ''} ${bad}; choose another`, backupDir);
  const pseudo = pseudoFileSystemSync(real);
  if (pseudo) throw new AbsyncError('E_NESTED', `backup folder ${backupDir} is on the ${pseudo} pseudo file system; choose another`, backupDir);
  return real;
}

/**
 * The backup folder's real path, following links only above the destination. Inside the destination, folders are
 * made by whoever can write there, so a link on the way to the backup folder (`d/.bak -> /elsewhere`) is never followed,
 * as no link in the destination is: the run is refused instead. `givenDestination` is the destination as the user
 * named it (a relative backup folder is resolved against it, perhaps through a link); `destination` is its real path.
 */
async function backupRealpath(backupDir: string, destination: string, givenDestination: string): Promise<string> {
  const given = resolve(givenDestination);
  const lexicallyInside = isInsideAbs(backupDir, given);
  let cur = lexicallyInside ? destination : parse(backupDir).root;
  const rest = lexicallyInside ? relative(given, backupDir) : backupDir.slice(cur.length);
  let missing = false;
  for (const name of rest.split(sep).filter((n) => n !== '')) {
    const next = join(cur, name);
    if (missing) {
      cur = next;
    } else if (isInsideAbs(cur, destination)) {
      const st = await lstat(next).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (st?.isSymbolicLink()) {
        throw new AbsyncError('E_NESTED', `backup folder ${backupDir}: ${next} is a symlink inside the destination, and links there are never followed; name the backup folder by its real path`, backupDir);
      }
      if (st && !st.isDirectory()) throw new AbsyncError('E_NESTED', `backup folder ${backupDir}: ${next} is not a folder`, backupDir);
      missing = st === undefined;
      cur = next;
    } else {
      try {
        cur = await realpath(next);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        missing = true;
        cur = next;
      }
    }
  }
  return cur;
}
