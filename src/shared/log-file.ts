/**
 * Appends timestamped lines to a log file. Each line opens the file anew (a few lines per run), so a rotated or
 * deleted log simply starts again under its name. The folder is created, and the file tested, when it is opened.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { isInsideAbs, type SyncOptions } from '../engine/index.js';

export class LogFile {
  readonly path: string;

  /** Throws a one-line error at once if the file cannot be written. */
  constructor(path: string) {
    this.path = resolve(path);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new Error(`cannot write log file ${this.path}: ${code}`);
    }
  }

  /** Never throws: a log that fails must not stop a sync. Returns false if the line was not written. */
  write(line: string): boolean {
    try {
      appendFileSync(this.path, `${new Date().toISOString()} ${line}\n`);
      return true;
    } catch {
      try {
        mkdirSync(dirname(this.path), { recursive: true });
        appendFileSync(this.path, `${new Date().toISOString()} ${line}\n`);
        return true;
      } catch {
        return false;
      }
    }
  }
}

/**
 * A log file inside the source or the destination is left out of the mirror: otherwise every run would copy it
 * (or delete it) again, and a watch on the source would trigger itself forever.
 */
export function withLogExcluded(options: SyncOptions, logPath: string | undefined): SyncOptions {
  if (logPath === undefined) return options;
  const extra: string[] = [];
  for (const root of [options.source, options.destination]) {
    if (root === undefined) continue;
    const base = resolve(root);
    if (logPath !== base && isInsideAbs(logPath, base)) extra.push(`/${relative(base, logPath).split(sep).join('/')}`);
  }
  if (extra.length === 0) return options;
  const exclude = options.exclude === undefined ? [] : typeof options.exclude === 'string' ? [options.exclude] : [...options.exclude];
  return { ...options, exclude: [...exclude, ...extra] };
}
