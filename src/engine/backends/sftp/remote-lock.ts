/**
 * One run at a time per remote destination: `.absync.lock` in the remote root, created with O_EXCL over SFTP and
 * holding the same JSON as a local lock (pid, host, process start, since). A lock written by this machine whose
 * process is gone (or whose pid was reused by a later process) is stale and taken over; a lock from another machine is
 * always respected, as locally (its process cannot be checked from here).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbsyncError } from '../../errors.js';
import { LOCK_NAME } from '../../reserved.js';
import type { TreeLock } from '../tree.js';
import { kindOfMode, remotePath } from './entries.js';
import { closeHandle, lstatOrGone, openNew, openRead, read, unlink, write } from './remote-fs.js';
import type { SftpSession } from './session.js';
import { SftpError } from './sftp-errors.js';

interface LockInfo {
  pid: number;
  host: string;
  start?: string;
  since: string;
}

/** The process start time from /proc (clock ticks since boot), to tell a reused pid apart. */
function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The same rule as the local lock (engine/lock.ts). */
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

async function tryCreate(s: SftpSession, path: string): Promise<boolean> {
  const ch = s.channel();
  let handle: Buffer;
  try {
    handle = await openNew(s, path, 0o644, ch);
  } catch (err) {
    // OpenSSH reports EEXIST as a plain failure: look whether something is there.
    if (err instanceof SftpError && (await lstatOrGone(s, path)) !== undefined) return false;
    throw err;
  }
  const start = startOf(process.pid);
  const info: LockInfo = { pid: process.pid, host: hostname(), ...(start ? { start } : {}), since: new Date().toISOString() };
  const data = Buffer.from(JSON.stringify(info));
  try {
    await write(s, path, handle, data, data.length, 0, ch);
  } finally {
    await closeHandle(s, path, handle, ch);
  }
  return true;
}

async function readLock(s: SftpSession, path: string): Promise<LockInfo | 'gone' | 'unreadable' | 'not-a-lock'> {
  const st = await lstatOrGone(s, path);
  if (!st) return 'gone';
  if (kindOfMode(st.mode) !== 'file' || st.size > 4096) return 'not-a-lock';
  const ch = s.channel();
  let handle: Buffer;
  try {
    handle = await openRead(s, path, ch);
  } catch (err) {
    if (err instanceof SftpError && err.code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const buf = Buffer.alloc(4096);
    const n = await read(s, path, handle, buf, buf.length, 0, ch);
    const info = JSON.parse(buf.subarray(0, n).toString('utf8')) as LockInfo;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? info : 'unreadable';
  } catch (err) {
    if (err instanceof SftpError) throw err;
    return 'unreadable';
  } finally {
    closeHandle(s, path, handle, ch).catch(() => undefined);
  }
}

/** Takes the lock in `root` (which exists); `label` names the destination in messages. */
export async function acquireRemoteLock(s: SftpSession, root: string, label: string, timeoutMs: number): Promise<() => Promise<void>> {
  const path = remotePath(root, LOCK_NAME);
  const deadline = Date.now() + timeoutMs;
  for (let unreadable = 0; ; ) {
    if (await tryCreate(s, path)) {
      let held = true;
      return async () => {
        if (!held) return;
        held = false;
        await unlink(s, path).catch(() => undefined);
      };
    }
    const info = await readLock(s, path);
    if (info === 'not-a-lock') {
      throw new AbsyncError('E_LOCKED', `destination ${label} holds a ${LOCK_NAME} that is not a lock file; remove it if no absync run is using it`, label);
    }
    // A lock being written right now reads as empty: give its writer a moment before calling it stale.
    if (info === 'unreadable' && ++unreadable < 5) {
      await sleep(50);
      continue;
    }
    if (info === 'gone' || info === 'unreadable' || !alive(info)) {
      await unlink(s, path).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new AbsyncError(
        'E_LOCKED',
        `destination ${label} is being synced by another absync run (pid ${info.pid} on ${info.host} since ${info.since}); try again later`,
        label,
      );
    }
    await sleep(100);
  }
}

/** The TreeLock of a remote root: frees the lock; on a refused run, puts the root back as it was found. */
export function treeLock(release: () => Promise<void>, restore: () => Promise<void>): TreeLock {
  return {
    async release(options) {
      await release();
      if (options?.refused) await restore().catch(() => undefined);
    },
  };
}
