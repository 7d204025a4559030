/**
 * One run at a time per destination: a lock file in the destination root, created exclusively. A lock left by a
 * killed process (its pid gone, or reused by a process that started later) is stale and taken over.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbsyncError, isExists, isGone } from './errors.js';
import { toAbs } from './paths.js';
import { LOCK_NAME } from './reserved.js';

interface LockInfo {
  pid: number;
  host: string;
  /** Process start time from /proc (clock ticks since boot), to tell a reused pid apart; absent elsewhere. */
  start?: string;
  since: string;
}

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
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = startOf(info.pid);
  return info.start === undefined || start === undefined || start === info.start;
}

/** Releases the lock; safe to call twice. */
export type Release = () => Promise<void>;

async function tryCreate(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx');
    const start = startOf(process.pid);
    const info: LockInfo = { pid: process.pid, host: hostname(), ...(start ? { start } : {}), since: new Date().toISOString() };
    await fh.writeFile(JSON.stringify(info));
    await fh.close();
    return true;
  } catch (err) {
    if (isExists(err)) return false;
    throw err;
  }
}

async function readLock(path: string): Promise<LockInfo | 'gone' | 'unreadable'> {
  try {
    const info = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : 'unreadable';
  } catch (err) {
    return isGone(err) ? 'gone' : 'unreadable';
  }
}

export async function acquireLock(destination: string, timeoutMs: number): Promise<Release> {
  const path = toAbs(destination, LOCK_NAME);
  const deadline = Date.now() + timeoutMs;
  for (let unreadable = 0; ; ) {
    if (await tryCreate(path)) {
      let held = true;
      return async () => {
        if (!held) return;
        held = false;
        await unlink(path).catch(() => undefined);
      };
    }
    const info = await readLock(path);
    // A lock being written right now reads as empty: give its writer a moment before calling it stale.
    if (info === 'unreadable' && ++unreadable < 5) {
      await sleep(20);
      continue;
    }
    if (info === 'gone' || info === 'unreadable' || !alive(info)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new AbsyncError(
        'E_LOCKED',
        `destination ${destination} is being synced by another absync run (pid ${info.pid} on ${info.host} since ${info.since}); try again later`,
        destination,
      );
    }
    await sleep(100);
  }
}
