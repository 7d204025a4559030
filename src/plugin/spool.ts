/**
 * A vinyl stream can be read once, but a mirror needs its size before planning, may hash it, and then writes it:
 * so its bytes go to a private temporary file first (never inside the destination, whose temporary names the
 * engine treats as leftovers of a killed run). The folder goes when the flush ends, or when the process exits
 * (gulp exits at once when another task of a `parallel` fails). A process killed by a signal (Ctrl-C in a gulp run)
 * runs no exit hook: its folder is removed by the next spool of any later process, once its process is gone and it
 * has stood an hour.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplacementScanner } from './encoding-check.js';

export interface Spooled {
  readonly path: string;
  readonly size: number;
  /** The bytes contain U+FFFD (see encoding-check.ts). */
  readonly replacement: boolean;
  /** SHA-1 of the bytes (hex), to compare them with the file they were read from (exact-bytes.ts). */
  readonly sha1: string;
}

/** Bytes a spool may hold in memory, waiting for the disk, before it pauses its input (see spool()). */
const SPOOL_BUFFERED = 64 * 1024 * 1024;

/** Spool folders not removed yet: gone at exit, whatever happens to the flush that made them. */
const atExit = new Set<string>();
let exitHook = false;

function removeAtExit(dir: string): void {
  atExit.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const d of atExit) rmSync(d, { recursive: true, force: true });
  });
}

/** Spool folders are named after their process: `absync-spool-<pid>-<random>`. */
const SPOOL_PREFIX = 'absync-spool-';
/** A spool folder left this long by a process that is gone is stale (a spool lasts one flush). */
const STALE_MS = 60 * 60 * 1000;
let swept = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes, once per process, the spool folders of processes that were killed before their exit hook ran: only
 * folders (never a link), of this user, whose process is gone, unchanged for an hour (another container sharing
 * the temporary folder may run a process of the same pid that this one cannot see).
 */
export function sweepStaleSpools(dir = tmpdir(), now = Date.now()): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^absync-spool-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || now - st.mtimeMs < STALE_MS || (process.getuid && st.uid !== process.getuid())) continue;
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
}

/** A folder of spooled streams for one flush; removed by `remove()`, or at exit. */
export class SpoolDir {
  private dir: string | undefined;
  private count = 0;

  private folder(): string {
    if (this.dir === undefined) {
      if (!swept) {
        swept = true;
        sweepStaleSpools();
      }
      this.dir = mkdtempSync(join(tmpdir(), `${SPOOL_PREFIX}${process.pid}-`));
      removeAtExit(this.dir);
    }
    return this.dir;
  }

  /**
   * Copies a readable to a new file in the folder. Events, not async iteration: vinyl-fs' contents are streamx
   * duplexes whose async iterator waits for a 'close' that never comes once their readable side has ended.
   *
   * Backpressure only past SPOOL_BUFFERED bytes waiting to be written: gulp 5's decoded streams (vinyl-fs 4's
   * stream-composer over its utf8 codec) that are paused, or read more slowly than they come, may lose their last
   * chunks and close without an 'end' (gulp.dest writes them truncated). Such a close is an error here, never a
   * stream waited for forever nor a short file mirrored.
   */
  async spool(input: NodeJS.ReadableStream): Promise<Spooled> {
    const path = join(this.folder(), String(this.count++));
    const scanner = new ReplacementScanner();
    const hash = createHash('sha1');
    const out = createWriteStream(path, { mode: 0o600 });
    let size = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        let ended = false;
        input.on('data', (chunk: unknown) => {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
          scanner.push(bytes);
          hash.update(bytes);
          size += bytes.byteLength;
          out.write(bytes);
          if (out.writableLength > SPOOL_BUFFERED) {
            input.pause();
            out.once('drain', () => input.resume());
          }
        });
        input.once('end', () => {
          ended = true;
          out.end(resolve);
        });
        input.once('close', () => {
          if (!ended) reject(new Error(`its contents stream closed before its end, after ${size} bytes`));
        });
        input.once('error', reject);
        out.once('error', reject);
      });
    } finally {
      out.destroy();
    }
    return { path, size, replacement: scanner.found, sha1: hash.digest('hex') };
  }

  /** Removes the folder now; without this call it stays until the process exits (its files may still be read). */
  async remove(): Promise<void> {
    if (this.dir === undefined) return;
    const dir = this.dir;
    this.dir = undefined;
    atExit.delete(dir);
    await rm(dir, { recursive: true, force: true });
  }
}
