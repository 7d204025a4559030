/**
 * Renames and removals that Windows refuses for a moment: a virus scanner, an indexer or a backup agent that has
 * just opened the file makes rename and unlink fail with EBUSY, EPERM or EACCES until it lets go. As graceful-fs does
 * for rename on Windows, those errors are retried with a backoff, here bounded to about 2.5 s, then reported.
 *
 * Windows also refuses to replace or remove an entry with the read-only attribute (what chmod 0o444 sets there),
 * where Linux only asks for a writable folder. So a refused step on a read-only target clears that bit and tries
 * again, as rsync on Windows does; the bit is put back if the step still fails.
 */
import { chmod, lstat, rename, rmdir, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const WINDOWS = process.platform === 'win32';
const TRANSIENT = new Set(['EBUSY', 'EPERM', 'EACCES']);
/** Waits between tries, in ms (2.55 s in all). */
const BACKOFF = [10, 20, 40, 80, 160, 320, 640, 1280];

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Runs `op`, and on Windows again after each wait of BACKOFF while it fails with a transient code. */
export async function retryTransient<T>(op: () => Promise<T>, backoff: readonly number[] = WINDOWS ? BACKOFF : []): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await op();
    } catch (err) {
      const wait = backoff[i];
      if (wait === undefined || !TRANSIENT.has(codeOf(err) ?? '')) throw err;
      await sleep(wait);
    }
  }
}

/** Runs `op` on `target`; on Windows, when it is refused and `target` is read-only, once more with the bit cleared. */
async function overReadOnly<T>(target: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!WINDOWS || (codeOf(err) !== 'EPERM' && codeOf(err) !== 'EACCES')) throw err;
    const st = await lstat(target).catch(() => undefined);
    if (!st || st.isSymbolicLink() || (st.mode & 0o200) !== 0) throw err;
    await chmod(target, (st.mode & 0o777) | 0o200);
    try {
      return await op();
    } catch (again) {
      await chmod(target, st.mode & 0o777).catch(() => undefined);
      throw again;
    }
  }
}

/** rename(2) that waits out a scanner and replaces a read-only file, on Windows. */
export function renameSafely(from: string, to: string): Promise<void> {
  return retryTransient(() => overReadOnly(to, () => rename(from, to)));
}

export function unlinkSafely(path: string): Promise<void> {
  return retryTransient(() => overReadOnly(path, () => unlink(path)));
}

export function rmdirSafely(path: string): Promise<void> {
  return retryTransient(() => overReadOnly(path, () => rmdir(path)));
}
