/**
 * One run at a time per local destination: a regular file `.absync.lock` in the root, created exclusively
 * (O_CREAT | O_EXCL | O_NOFOLLOW), holding the owner's pid, host, process start time and when it was taken. Anything
 * else at that name (a FIFO, a folder, a link) is refused at once, without opening it.
 *
 * A lock whose owner is dead is stale and taken over. How a dead owner is told from a live one depends on what the
 * system offers: on Windows a live owner holds its lock open without sharing, so a lock that can be opened at all is
 * stale (pids are reused there quickly, and there is no /proc); elsewhere the pid must be gone, or now belong to a
 * process that started after the lock was taken (Linux: /proc; macOS and the BSDs: ps).
 *
 * Takers go one at a time: a taker first creates `.absync.lock.takeover` exclusively (held like a lock; no hard link,
 * which FAT and exFAT do not have), checks that the lock is still the very file it found stale (inode, mtime and
 * size: inode numbers are reused at once) and that its owner is still dead, removes it, and creates its own;
 * concurrent takers that find the takeover name wait, and one left by a dead taker is removed after 2 s. A run never
 * removes a lock that is not the one it checked, so two runs can never both hold it.
 *
 * Taking the lock also measures what the destination stores (caps-probe.ts): the lock is the one file a run may
 * write before it knows.
 *
 * Releasing a refused run's lock puts the root back as it was found: its mtime restored, and the root removed again
 * when this run created it and it is still empty. On process exit (a gulp that exits while a run is going) the lock
 * is removed synchronously.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, rmdirSync, unlinkSync, utimesSync, writeSync, type BigIntStats } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbsyncError, describeError, isExists, isGone } from '../../errors.js';
import { toAbs } from '../../paths.js';
import { LOCK_NAME, TAKEOVER_NAME } from '../../reserved.js';
import { toUtimes } from '../../times.js';
import type { TreeCaps, TreeLock } from '../tree.js';
import { probeWithLock } from './caps-probe.js';
import { processStartMs, procStartTicks } from './process-start.js';


interface LockInfo {
  pid: number;
  host: string;
  /** Process start time from /proc (clock ticks since boot), to tell a reused pid apart; absent elsewhere. */
  start?: string;
  since: string;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const WINDOWS = process.platform === 'win32';
/** libuv's UV_FS_O_EXLOCK (Windows): open without sharing, so no other process can open the file while it is held. */
const EXLOCK = WINDOWS ? 0x10000000 : 0;

/** Is the process that wrote `info` still running (and still that process)? */
function alive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  if (info.pid === process.pid) return true;
  // Windows: a live owner holds its lock open, so whoever could read it knows the owner is gone.
  if (WINDOWS) return false;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const ticks = info.start === undefined ? undefined : procStartTicks(info.pid);
  if (ticks !== undefined) return ticks === info.start;
  // No start ticks to compare: a process that started after the lock was taken cannot be its owner.
  const started = processStartMs(info.pid);
  const since = Date.parse(info.since);
  return started === undefined || Number.isNaN(since) || started <= since + 1000;
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

/**
 * The lock's content, read without blocking and only if it is still the regular file `ino`; 'held' when its owner
 * holds it open (Windows), undefined if not readable as a lock.
 */
function readInfo(path: string, ino: bigint): LockInfo | 'held' | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (err) {
    return WINDOWS && (err as NodeJS.ErrnoException).code === 'EBUSY' ? 'held' : undefined;
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

/** An unreadable lock younger than this may still be being written. */
const STALE_UNREADABLE_MS = 2000;

/** A lock nobody holds: its owner is dead, or it is unreadable and old enough that no writer is still at work. */
function isStale(path: string, st: BigIntStats): boolean {
  const info = readInfo(path, st.ino);
  if (info === 'held') return false;
  if (info) return !alive(info);
  return Date.now() - Number(st.mtimeMs) > STALE_UNREADABLE_MS;
}

/** A lock file this process created: which file it is, and on Windows the handle it is held open by (-1 elsewhere). */
interface Created extends Identity {
  readonly fd: number;
  /** What the destination stores, measured on the new file (the lock only). */
  readonly caps?: TreeCaps;
}

/** Creates `path` exclusively with this process's info; undefined when something is already there. */
function tryCreate(path: string, probe: boolean): Created | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | NOFOLLOW | EXLOCK, 0o644);
  } catch (err) {
    if (isExists(err)) return undefined;
    // Windows: a name another process holds open without sharing (being created, or being removed) is taken.
    if (WINDOWS && (err as NodeJS.ErrnoException).code === 'EBUSY') return undefined;
    throw err;
  }
  try {
    const start = procStartTicks(process.pid);
    const info: LockInfo = { pid: process.pid, host: hostname(), ...(start ? { start } : {}), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info));
    const caps = probe ? probeWithLock(fd, path) : undefined;
    const { ino, mtimeNs, size } = fstatSync(fd, { bigint: true });
    const created: Created = { ino, mtimeNs, size, fd: WINDOWS ? fd : -1, ...(caps ? { caps } : {}) };
    if (!WINDOWS) closeSync(fd);
    return created;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Closes a held handle (Windows: before its file can be removed). */
function closeHeld(fd: number): void {
  if (fd < 0) return;
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

/** Removes `path` only while it is still the file `id`. */
function unlinkIf(path: string, id: Identity): void {
  const st = lstatOrGone(path);
  if (st && same(st, id)) unlinkSync(path);
}

/**
 * Takes a stale lock away (one taker at a time); true when it was removed by this call. `stale` is the lock as it was
 * found stale: it is removed only if the name still holds that very file and its owner is still dead, so a fresh lock
 * that reuses the inode number is never taken for it.
 */
function takeOver(root: string, path: string, stale: BigIntStats): boolean {
  const takeover = toAbs(root, TAKEOVER_NAME);
  let mutex: Created | undefined;
  try {
    mutex = tryCreate(takeover, false);
  } catch (err) {
    if (isGone(err)) return false;
    throw err;
  }
  if (!mutex) {
    // Another taker is at work, or died at work (its name then outlives it: removed once old and its taker dead).
    const st = lstatOrGone(takeover);
    if (st && !st.isFile()) {
      throw new AbsyncError(
        'E_LOCKED',
        `${takeover} is ${kindOf(st)}, not absync's takeover file; refusing to take over the stale lock in ${root} (remove it if no absync run is going)`,
        root,
      );
    }
    if (st && st.isFile() && Date.now() - Number(st.ctimeMs) > STALE_UNREADABLE_MS && isStale(takeover, st)) unlinkIf(takeover, st);
    return false;
  }
  try {
    const now = lstatOrGone(path);
    if (!now || !same(now, stale) || !isStale(path, now)) return false;
    unlinkIf(path, stale);
    return true;
  } finally {
    closeHeld(mutex.fd);
    unlinkIf(takeover, mutex);
  }
}

/** A held lock: the root's state when it was taken, for a refused run to put back. */
export class LocalLock implements TreeLock {
  private held = true;
  private readonly onExit = (): void => {
    try {
      closeHeld(this.lock.fd);
      unlinkIf(this.path, this.lock);
    } catch {
      /* exiting anyway */
    }
  };

  /** What the destination stores, measured when the lock was taken. */
  readonly caps: TreeCaps | undefined;

  constructor(
    private readonly root: string,
    private readonly path: string,
    private readonly lock: Created,
    private readonly before: BigIntStats | undefined,
    private readonly created: readonly string[],
    private readonly restoreTimes: (root: string, st: BigIntStats) => void,
  ) {
    this.caps = lock.caps;
    process.once('exit', this.onExit);
  }

  async release(options: { readonly refused?: boolean } = {}): Promise<void> {
    if (!this.held) return;
    this.held = false;
    process.removeListener('exit', this.onExit);
    try {
      closeHeld(this.lock.fd);
      unlinkIf(this.path, this.lock);
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
  /** A stop signal: waiting for another run's lock ends when it aborts (refused as locked, nothing changed). */
  readonly signal?: AbortSignal;
}

/** Takes the destination's lock; throws AbsyncError E_LOCKED when another run holds it past the timeout. */
export async function acquireLock(req: LockRequest): Promise<LocalLock> {
  const path = toAbs(req.root, LOCK_NAME);
  const before = lstatOrGone(req.root);
  const deadline = Date.now() + req.timeoutMs;
  // Taking over a stale lock may wait for another taker (milliseconds), or for a dead taker's name to age (2 s); a
  // takeover name that stays (an account that can write the destination keeps one there) must not hold a run for ever.
  const takeoverDeadline = Math.max(deadline, Date.now() + 2 * STALE_UNREADABLE_MS);
  let unreadable = 0;
  for (;;) {
    let mine: Created | undefined;
    try {
      mine = tryCreate(path, true);
    } catch (err) {
      throw new AbsyncError('E_DEST_UNWRITABLE', `cannot write to destination ${req.root}: ${describeError(err).message}`, req.root);
    }
    if (mine !== undefined) return new LocalLock(req.root, path, mine, before, req.created, req.restoreTimes ?? restoreTimesJs);
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
    if (!info || (info !== 'held' && !alive(info))) {
      if (!takeOver(req.root, path, st)) {
        if (Date.now() >= takeoverDeadline) {
          throw new AbsyncError(
            'E_LOCKED',
            `destination ${req.root} has a stale lock that another run is still taking over (${toAbs(req.root, TAKEOVER_NAME)} stays); try again later`,
            req.root,
          );
        }
        await sleep(10 + Math.random() * 20);
      }
      unreadable = 0;
      continue;
    }
    // A stop signal ends the wait at once: Ctrl-C must not wait out a long --lock-timeout.
    const stopped = req.signal?.aborted === true;
    if (stopped || Date.now() >= deadline) {
      throw new AbsyncError(
        'E_LOCKED',
        `destination ${req.root} is being synced by another absync run (${info === 'held' ? 'its lock is held open' : `pid ${info.pid} on ${info.host} since ${info.since}`}); ${stopped ? 'stopped waiting for it' : 'try again later'}`,
        req.root,
      );
    }
    await sleep(100);
  }
}
