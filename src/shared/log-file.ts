/**
 * Appends timestamped lines to a log file. Each line opens the file anew (a few lines per run), so a rotated or
 * deleted log simply starts again under its name. The folder is created, and the file tested, when it is opened.
 * The file is opened with O_NONBLOCK and must be a regular file (or a character device such as /dev/null): a FIFO
 * nobody reads, a folder or a file on a kernel pseudo file system is refused at once, never waited on.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { isInsideAbs, isRemoteDestination, pseudoFileSystemSync, realpathLooseSync, type SyncOptions } from '../engine/index.js';

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NONBLOCK ?? 0);

/** Appends `text`; throws when the file is not one a log can be (or cannot be written). */
function append(path: string, text: string): void {
  const fd = openSync(path, APPEND, 0o644);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() && !st.isCharacterDevice()) {
      throw Object.assign(new Error(`${st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a folder' : 'not a regular file'}`), { code: 'ENOTREG' });
    }
    if (text !== '') writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export class LogFile {
  readonly path: string;

  /** Throws a one-line error at once if the file cannot be written. */
  constructor(path: string) {
    this.path = resolve(path);
    const pseudo = pseudoFileSystemSync(this.path);
    if (pseudo) throw new Error(`cannot write log file ${this.path}: it is on the ${pseudo} pseudo file system`);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      append(this.path, '');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // ENXIO: a FIFO that nobody reads (opened without blocking).
      const why = e.code === 'ENOTREG' ? `it is ${e.message}` : e.code === 'ENXIO' ? 'it is a FIFO nobody reads' : e.code ?? 'error';
      throw new Error(`cannot write log file ${this.path}: ${why}`);
    }
  }

  /** Never throws: a log that fails must not stop a sync. Returns false if the line was not written. */
  write(line: string): boolean {
    try {
      append(this.path, `${new Date().toISOString()} ${line}\n`);
      return true;
    } catch {
      try {
        mkdirSync(dirname(this.path), { recursive: true });
        append(this.path, `${new Date().toISOString()} ${line}\n`);
        return true;
      } catch {
        return false;
      }
    }
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
