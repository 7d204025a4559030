/**
 * One run at a time per local destination: a regular file `.absync.lock` in the root, created exclusively
 * (O_CREAT | O_EXCL | O_NOFOLLOW), holding the owner's pid, host and process start time. Anything else at that name
 * (a FIFO, a folder, a link) is refused at once, without opening it.
 *
 * A lock whose owner is dead (its pid gone, or reused by a process that started later) is stale and taken over, one
 * taker at a time: a taker first links the stale lock to `.absync.lock.takeover` (link fails if that name exists, so
 * only one taker proceeds), checks that what it linked is still the stale lock, removes the lock, and creates its own
 * exclusively; concurrent runs that find the takeover name wait. A run never removes a lock that is not the one it
 * checked, so two runs can never both hold it.
 *
 * Releasing a refused run's lock puts the root back as it was found: its mtime restored, and the root removed again
 * when this run created it and it is still empty. On process exit (a gulp that exits while a run is going) the lock
 * is removed synchronously.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync, rmdirSync, unlinkSync, utimesSync, writeSync, linkSync, type BigIntStats } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbsyncError, describeError, isExists, isGone } from '../../errors.js';
import { toAbs } from '../../paths.js';
import { LOCK_NAME } from '../../reserved.js';
import { toUtimes } from '../../times.js';
import type { TreeLock } from '../tree.js';

/** The second name a taker links a stale lock to (scans skip it in a destination root, like the lock). */
export const TAKEOVER_NAME = `${LOCK_NAME}.takeover`;

interface LockInfo {
  pid: number;
  host: string;
  /** Process start time from /proc (clock ticks since boot), to tell a reused pid apart; absent elsewhere. */
  start?: string;
  since: string;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  if (info.pid === process.pid) return true;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = startOf(info.pid);
  return info.start === undefined || start === undefined || start === info.start;
}

function kindOf(st: BigIntStats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function lstatOrGone(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

/** The lock's content, read without blocking and only if it is still the regular file `ino`; undefined if not readable as one. */
function readInfo(path: string, ino: bigint): LockInfo | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile() || st.ino !== ino) return undefined;
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const info = JSON.parse(buf.subarray(0, n).toString('utf8')) as LockInfo;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Which file a lock is: inode numbers are reused at once, so the mtime and size come with it. */
interface Identity {
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly size: bigint;
}

function same(a: Identity, b: Identity): boolean {
  return a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.size === b.size;
}

/** Creates the lock exclusively; its identity, or undefined when a lock (or anything) is already there. */
function tryCreate(path: string): Identity | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o644);
  } catch (err) {
    if (isExists(err)) return undefined;
    throw err;
  }
  try {
    const start = startOf(process.pid);
    const info: LockInfo = { pid: process.pid, host: hostname(), ...(start ? { start } : {}), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info));
    return fstatSync(fd, { bigint: true });
  } finally {
    closeSync(fd);
  }
}

/** Removes `path` only while it is still the file `id`. */
function unlinkIf(path: string, id: Identity): void {
  const st = lstatOrGone(path);
  if (st && same(st, id)) unlinkSync(path);
}

/** A lock nobody holds: its owner is dead, or it is unreadable and old enough that no writer is still at work. */
function isStale(path: string, st: BigIntStats): boolean {
  const info = readInfo(path, st.ino);
  if (info) return !alive(info);
  return Date.now() - Number(st.mtimeMs) > STALE_UNREADABLE_MS;
}

/** An unreadable lock younger than this may still be being written. */
const STALE_UNREADABLE_MS = 2000;

/**
 * Takes a stale lock away (one taker at a time); true when it was removed by this call. `stale` is the lock as it was
 * found stale: it is removed only if the name still holds that very file (same inode, mtime and size) and its owner is
 * still dead, so a fresh lock that reuses the inode number is never taken for it.
 */
function takeOver(root: string, path: string, stale: BigIntStats): boolean {
  const takeover = toAbs(root, TAKEOVER_NAME);
  try {
    linkSync(path, takeover);
  } catch (err) {
    if (isExists(err)) {
      // Another taker is at work, or died at work (its second name then outlives it: removed once old).
      const st = lstatOrGone(takeover);
      if (st && st.isFile() && Date.now() - Number(st.ctimeMs) > STALE_UNREADABLE_MS && isStale(takeover, st)) unlinkIf(takeover, st);
      return false;
    }
    if (isGone(err)) return false;
    throw err;
  }
  let linked: BigIntStats | undefined;
  try {
    linked = lstatSync(takeover, { bigint: true });
    if (!same(linked, stale) || !isStale(takeover, linked)) return false;
    unlinkIf(path, stale);
    return true;
  } finally {
    if (linked) unlinkIf(takeover, linked);
  }
}

/** A held lock: the root's state when it was taken, for a refused run to put back. */
class LocalLock implements TreeLock {
  private held = true;
  private readonly onExit = (): void => {
    try {
      unlinkIf(this.path, this.id);
    } catch {
      /* exiting anyway */
    }
  };

  constructor(
    private readonly root: string,
    private readonly path: string,
    private readonly id: Identity,
    private readonly before: BigIntStats | undefined,
    private readonly created: readonly string[],
    private readonly restoreTimes: (root: string, st: BigIntStats) => void,
  ) {
    process.once('exit', this.onExit);
  }

  async release(options: { readonly refused?: boolean } = {}): Promise<void> {
    if (!this.held) return;
    this.held = false;
    process.removeListener('exit', this.onExit);
    try {
      unlinkIf(this.path, this.id);
    } catch {
      /* the lock is gone or unreachable: nothing left to free */
    }
    if (!options.refused) return;
    // A refused run changed nothing: the folders it made go again, the root gets its mtime back.
    for (const dir of [...this.created].reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        return;
      }
    }
    if (this.created.length === 0 && this.before) {
      try {
        this.restoreTimes(this.root, this.before);
      } catch {
        /* best effort: the root's entries are as they were */
      }
    }
  }
}

/** Default root time restore: to the microsecond, all Node can set (the native tree restores nanoseconds). */
export function restoreTimesJs(root: string, st: BigIntStats): void {
  utimesSync(root, toUtimes(Number(st.atimeNs / 1000n) / 1000), toUtimes(Number(st.mtimeNs / 1000n) / 1000));
}

export interface LockRequest {
  readonly root: string;
  readonly timeoutMs: number;
  /** Folders this run created for the root (outermost first), removed again if the run is refused. */
  readonly created: readonly string[];
  readonly restoreTimes?: (root: string, st: BigIntStats) => void;
}

/** Takes the destination's lock; throws AbsyncError E_LOCKED when another run holds it past the timeout. */
export async function acquireLock(req: LockRequest): Promise<TreeLock> {
  const path = toAbs(req.root, LOCK_NAME);
  const before = lstatOrGone(req.root);
  const deadline = Date.now() + req.timeoutMs;
  let unreadable = 0;
  for (;;) {
    let id: Identity | undefined;
    try {
      id = tryCreate(path);
    } catch (err) {
      throw new AbsyncError('E_DEST_UNWRITABLE', `cannot write to destination ${req.root}: ${describeError(err).message}`, req.root);
    }
    if (id !== undefined) return new LocalLock(req.root, path, id, before, req.created, req.restoreTimes ?? restoreTimesJs);
    const st = lstatOrGone(path);
    if (!st) continue;
    if (!st.isFile()) {
      throw new AbsyncError(
        'E_LOCKED',
        `${path} is ${kindOf(st)}, not absync's lock file; refusing to sync into ${req.root} (remove it if no absync run is going)`,
        req.root,
      );
    }
    const info = readInfo(path, st.ino);
    // A lock being written right now reads as empty: give its writer a moment before calling it stale.
    if (!info && ++unreadable < 5) {
      await sleep(20);
      continue;
    }
    if (!info || !alive(info)) {
      if (!takeOver(req.root, path, st)) await sleep(10 + Math.random() * 20);
      unreadable = 0;
      continue;
    }
    if (Date.now() >= deadline) {
      throw new AbsyncError(
        'E_LOCKED',
        `destination ${req.root} is being synced by another absync run (pid ${info.pid} on ${info.host} since ${info.since}); try again later`,
        req.root,
      );
    }
    await sleep(100);
  }
}
