/**
 * Appends timestamped lines to a log file. Each line opens the file anew (a few lines per run), so a rotated or
 * deleted log simply starts again under its name. The folder is created, and the file tested, when it is opened.
 * The file is opened with O_NONBLOCK and must be a regular file (or a character device such as /dev/null): a FIFO
 * nobody reads, a folder or a file on a kernel pseudo file system is refused at once, never waited on. It is opened
 * with O_NOFOLLOW too, and must stay where it was first opened: a link put at its name or on its way by another
 * account (a log in the destination, in /tmp) refuses the log at start, and later loses that line, never writes
 * through the link.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync, statSync, writeSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { isInsideAbs, isRemoteDestination, pseudoFileSystemSync, realpathLooseSync, type SyncOptions } from '../engine/index.js';

// O_NOFOLLOW: a log often lies in a folder other accounts can write (the destination, /tmp); a link put at its name
// must not turn a root run's log lines into writes to the link's target.
const APPEND = constants.O_WRONLY | constants.O_APPEND | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** Opens the log to append, creating it when missing (after a rotation) only in the folder it was first opened in. */
function openLog(path: string, real: string | undefined): number {
  try {
    return openSync(path, APPEND);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (real !== undefined && realpathSync(dirname(path)) !== dirname(real)) {
    throw Object.assign(new Error(`its folder now leads to ${realpathSync(dirname(path))}`), { code: 'ENOTREG' });
  }
  try {
    return openSync(path, APPEND | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return openSync(path, APPEND);
  }
}

/**
 * Appends `text`; throws when the file is not one a log can be (or cannot be written). On Linux the opened file must
 * be the one at `real` (the log's real path when it was first opened): a folder on the way swapped for a link since
 * then leads elsewhere, and nothing is written there.
 */
function append(path: string, text: string, real?: string): number {
  const fd = openLog(path, real);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() && !st.isCharacterDevice()) {
      throw Object.assign(new Error(`${st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a folder' : 'not a regular file'}`), { code: 'ENOTREG' });
    }
    if (real !== undefined && st.isFile() && process.platform === 'linux') {
      const opened = readlinkSync(`/proc/self/fd/${fd}`);
      if (opened !== real) throw Object.assign(new Error(`reached through a link, at ${opened}`), { code: 'ENOTREG' });
    }
    if (text !== '') writeSync(fd, text);
    return st.ino;
  } finally {
    closeSync(fd);
  }
}

export class LogFile {
  readonly path: string;
  /** The log's real path when it was opened first (folders on the way resolved then, as the user named them). */
  private readonly real: string | undefined;
  /**
   * The inode of the file the last line went to (its handle's, not the name's a moment later: a log rotated right
   * after a line must count as a new file).
   */
  writtenTo: number | undefined;

  /** Throws a one-line error at once if the file cannot be written. */
  constructor(path: string) {
    this.path = deviceBehindLink(resolve(path));
    const pseudo = pseudoFileSystemSync(this.path);
    if (pseudo) throw new Error(`cannot write log file ${this.path}: it is on the ${pseudo} pseudo file system`);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      append(this.path, '');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // ENXIO: a FIFO that nobody reads (opened without blocking). ELOOP: a symlink (O_NOFOLLOW).
      const link = e.code === 'ELOOP' && isLink(this.path);
      const why = e.code === 'ENOTREG' ? `it is ${e.message}` : e.code === 'ENXIO' ? 'it is a FIFO nobody reads'
        : link ? 'it is a symlink, never followed (name the file it points to)' : e.code ?? 'error';
      throw new Error(`cannot write log file ${this.path}: ${why}`);
    }
    this.real = realpathLooseSync(this.path);
  }

  /** Never throws: a log that fails must not stop a sync. Returns false if the line was not written. */
  write(line: string): boolean {
    try {
      this.writtenTo = append(this.path, `${new Date().toISOString()} ${line}\n`, this.real);
      return true;
    } catch {
      try {
        mkdirSync(dirname(this.path), { recursive: true });
        this.writtenTo = append(this.path, `${new Date().toISOString()} ${line}\n`, this.real);
        return true;
      } catch {
        return false;
      }
    }
  }
}

/** `/dev/stdout` or `/dev/tty` (a link to a terminal) names that device: a device is written, never created or replaced. */
function deviceBehindLink(path: string): string {
  if (!isLink(path)) return path;
  try {
    const target = realpathSync(path);
    return statSync(target).isCharacterDevice() ? target : path;
  } catch {
    return path;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * A log file inside the source or the destination is left out of the mirror: otherwise every run would copy it
 * (or delete it) again, and a watch on the source would trigger itself forever. Compared by real paths, so a log
 * named through a symlink into a root is found too; in the destination it is also protected (never deleted, even with
 * deleteExcluded).
 */
export function withLogExcluded(options: SyncOptions, logPath: string | undefined): SyncOptions {
  if (logPath === undefined) return options;
  const log = realpathLooseSync(logPath);
  const globs = (root: string | undefined): string[] => {
    if (root === undefined) return [];
    const base = realpathLooseSync(resolve(root));
    return log !== base && isInsideAbs(log, base) ? [`/${relative(base, log).split(sep).join('/')}`] : [];
  };
  const inSource = globs(options.source);
  // The log file is always local: it cannot lie in a destination on another machine.
  const inDestination = options.destination !== undefined && isRemoteDestination(options.destination) ? [] : globs(options.destination);
  if (inSource.length + inDestination.length === 0) return options;
  const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);
  return {
    ...options,
    exclude: [...list(options.exclude), ...inSource, ...inDestination],
    ...(inDestination.length > 0 ? { protect: [...list(options.protect), ...inDestination] } : {}),
  };
}
