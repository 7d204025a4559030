/**
 * One run at a time per remote destination: `.absync.lock` in the remote root, created with O_EXCL (by perl on the
 * connection's shell as the tree opens, lockScript, where the account may run commands; else over SFTP) and
 * holding the same JSON as a local lock (pid, host, process start, since). A lock written by this machine whose
 * process is gone (or whose pid was reused by a later process) is stale and taken over, one taker at a time; a lock
 * from another machine is always respected, as locally (its process cannot be checked from here).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbsyncError } from '../../errors.js';
import { LOCK_NAME, TAKEOVER_NAME } from '../../reserved.js';
import type { TreeLock } from '../tree.js';
import { kindOfMode, remotePath } from './entries.js';
import { closeHandle, hardlink, lstatOrGone, openNew, openRead, read, unlink, write } from './remote-fs.js';
import type { SftpSession } from './session.js';
import { shQuote } from './shell.js';
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

/**
 * Locks this process holds now. A lock of this process that is not among them was left by an earlier run whose
 * connection dropped before it could remove it (a watch goes on after that): stale, like a dead process's.
 */
const heldHere = new Set<string>();

/** The same rule as the local lock (backends/local/lock.ts), but for this process's own leftovers. */
function alive(info: LockInfo, text: string): boolean {
  if (info.host !== hostname()) return true;
  if (info.pid === process.pid) return heldHere.has(text);
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = startOf(info.pid);
  return info.start === undefined || start === undefined || start === info.start;
}

/** The JSON a lock of this process holds (made afresh for each lock: `since` is now). */
export function newLockText(): string {
  const start = startOf(process.pid);
  const info: LockInfo = { pid: process.pid, host: hostname(), ...(start ? { start } : {}), since: new Date().toISOString() };
  return JSON.stringify(info);
}

/**
 * The shell script that creates the lock in `root` (a real folder, not a link) with `text`, exclusively, without
 * following a link at its name: exit 0 when it did, 1 when something is there, another status when it could not
 * say (no perl: the lock is then taken over SFTP). A lock whose text could not be written is removed again.
 */
export function lockScript(root: string, text: string): string {
  // The root is entered as the helper enters folders (lstat, chdir, then stat(".") must be what lstat saw), and the
  // lock made by name inside it: a root swapped for a link between the look and the make is never followed.
  const perl = [
    'use Fcntl; my ($d, $t) = @ARGV; my @l = lstat($d); exit 2 unless @l && ($l[2] & 61440) == 16384;',
    'chdir($d) or exit 2; my @s = stat("."); exit 2 unless @s && $s[0] == $l[0] && $s[1] == $l[1];',
    `sysopen(my $f, "${LOCK_NAME}", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644) or exit($!{EEXIST} ? 1 : 3);`,
    `(print $f $t) && close($f) or do { unlink("${LOCK_NAME}"); exit 3 }; exit 0`,
  ].join(' ');
  return `perl -e ${shQuote(perl)} ${shQuote(root)} ${shQuote(text)}`;
}

/** Creates the lock exclusively; its text, or undefined when something is already there. */
async function tryCreate(s: SftpSession, path: string): Promise<string | undefined> {
  const ch = s.channel();
  let handle: Buffer;
  try {
    handle = await openNew(s, path, 0o644, ch);
  } catch (err) {
    // OpenSSH reports EEXIST as a plain failure: look whether something is there.
    if (err instanceof SftpError && (await lstatOrGone(s, path)) !== undefined) return undefined;
    throw err;
  }
  const text = newLockText();
  const data = Buffer.from(text);
  // WRITE and CLOSE go together: one round trip.
  const [wrote, closed] = await Promise.allSettled([write(s, path, handle, data, data.length, 0, ch), closeHandle(s, path, handle, ch)]);
  if (wrote.status === 'rejected') throw wrote.reason;
  if (closed.status === 'rejected') throw closed.reason;
  return text;
}

type ReadLock = { readonly info: LockInfo; readonly text: string } | 'gone' | 'unreadable' | 'not-a-lock';

async function readLock(s: SftpSession, path: string): Promise<ReadLock> {
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
    const text = buf.subarray(0, n).toString('utf8');
    const info = JSON.parse(text) as LockInfo;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? { info, text } : 'unreadable';
  } catch (err) {
    if (err instanceof SftpError) throw err;
    return 'unreadable';
  } finally {
    closeHandle(s, path, handle, ch).catch(() => undefined);
  }
}

/** Removes `path` only while it still holds `text` (SFTP shows no inode: the content names the owner and the time). */
async function unlinkIf(s: SftpSession, path: string, text: string): Promise<void> {
  const now = await readLock(s, path);
  if (typeof now === 'object' && now.text === text) await unlink(s, path).catch(() => undefined);
}

/**
 * Takes a stale lock away, one taker at a time, as the local lock does: the taker hard-links it to TAKEOVER_NAME
 * (hardlink@openssh.com fails if that name exists), checks that what it linked is still the stale lock, and removes
 * the lock. True when the lock was removed by this call. Without the extension, the stale lock is simply removed.
 */
async function takeOver(s: SftpSession, path: string, takeoverPath: string, stale: string, seen: Map<string, number>): Promise<boolean> {
  if (!s.extensions.hardlink) {
    await unlinkIf(s, path, stale);
    return true;
  }
  try {
    await hardlink(s, path, takeoverPath);
  } catch (err) {
    const other = await readLock(s, takeoverPath).catch(() => 'gone' as const);
    if (other === 'gone') return false;
    // Another taker is at work, or died at work: its second name is stale once it has stood still for a while.
    const key = typeof other === 'object' ? other.text : other;
    const since = seen.get(key) ?? Date.now();
    seen.set(key, since);
    if (Date.now() - since > TAKEOVER_PATIENCE_MS && (typeof other !== 'object' || !alive(other.info, other.text))) {
      if (typeof other === 'object') await unlinkIf(s, takeoverPath, other.text);
      else await unlink(s, takeoverPath).catch(() => undefined);
    }
    if (err instanceof SftpError) return false;
    throw err;
  }
  try {
    const linked = await readLock(s, takeoverPath);
    if (typeof linked !== 'object' || linked.text !== stale) return false;
    await unlinkIf(s, path, stale);
    return true;
  } finally {
    await unlink(s, takeoverPath).catch(() => undefined);
  }
}

/** How long a takeover name must stand unchanged before another taker calls it stale. */
const TAKEOVER_PATIENCE_MS = 2000;

/**
 * Removes the lock at `path` if it still holds `text`, in one round trip where a helper runs on the server (the
 * perl helper's U record); false when it cannot, and the lock is removed over SFTP instead (four round trips).
 */
export type QuickUnlock = (text: string) => Promise<boolean>;

/** The release of a lock this process holds in `root` with `text` (taken here, or by lockScript on the shell). */
export function heldRemoteLock(s: SftpSession, root: string, text: string, quickUnlock?: QuickUnlock): () => Promise<void> {
  const path = remotePath(root, LOCK_NAME);
  heldHere.add(text);
  return async () => {
    if (!heldHere.delete(text)) return;
    if (quickUnlock && (await quickUnlock(text).catch(() => false))) return;
    await unlinkIf(s, path, text).catch(() => undefined);
  };
}

/** Takes the lock in `root` (which exists); `label` names the destination in messages. Returns its release. */
export async function acquireRemoteLock(s: SftpSession, root: string, label: string, timeoutMs: number, quickUnlock?: QuickUnlock): Promise<() => Promise<void>> {
  const path = remotePath(root, LOCK_NAME);
  const takeoverPath = remotePath(root, TAKEOVER_NAME);
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, number>();
  for (let unreadable = 0; ; ) {
    const mine = await tryCreate(s, path);
    if (mine !== undefined) return heldRemoteLock(s, root, mine, quickUnlock);
    const found = await readLock(s, path);
    if (found === 'not-a-lock') {
      throw new AbsyncError('E_LOCKED', `destination ${label} holds a ${LOCK_NAME} that is not a lock file; remove it if no absync run is using it`, label);
    }
    // A lock being written right now reads as empty: give its writer a moment before calling it stale.
    if (found === 'unreadable' && ++unreadable < 5) {
      await sleep(50);
      continue;
    }
    if (found === 'gone') continue;
    if (found === 'unreadable' || !alive(found.info, found.text)) {
      const text = found === 'unreadable' ? '' : found.text;
      if (found === 'unreadable') await unlink(s, path).catch(() => undefined);
      else if (!(await takeOver(s, path, takeoverPath, text, seen))) await sleep(100);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new AbsyncError(
        'E_LOCKED',
        `destination ${label} is being synced by another absync run (pid ${found.info.pid} on ${found.info.host} since ${found.info.since}); try again later`,
        label,
      );
    }
    await sleep(100);
  }
}

/**
 * The TreeLock of a remote root: frees the lock; on a refused run, puts the root back as it was found. `inOrder`
 * says, once the release has begun, whether it went to the helper (whose records the tree's next steps follow).
 */
export function treeLock(release: () => Promise<void>, restore: () => Promise<void>, inOrder?: () => boolean): TreeLock {
  return {
    async release(options) {
      await release();
      if (options?.refused) await restore().catch(() => undefined);
    },
    ...(inOrder ? { inOrderAfterRelease: inOrder } : {}),
  };
}
