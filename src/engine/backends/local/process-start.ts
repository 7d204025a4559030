/**
 * When a process started, to tell a lock's dead owner from a later process that got its pid. Linux reads /proc;
 * macOS and the BSDs have no /proc, so `ps -o lstart=` answers there (one short child process, only when a lock is
 * found with a live pid). Windows needs neither: a live owner holds its lock file open without sharing (lock.ts).
 */
import { lazyChildProcess } from '../../lazy-builtins.js';
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc counts a process's start in these ticks since boot (100 on every mainstream architecture). */
const TICKS_PER_SECOND = 100;

/** Clock ticks since boot at which `pid` started (field 22 of /proc/<pid>/stat), or undefined without /proc. */
export function procStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function bootTimeMs(): number | undefined {
  try {
    const line = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return line ? Number(line[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function psStartMs(pid: number): number | undefined {
  const r = lazyChildProcess().spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  const ms = Date.parse(r.stdout.trim());
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * When `pid` started, in ms since the epoch (to the second), or undefined when this system cannot say (Windows, a
 * system with neither /proc nor ps, or a pid that is gone).
 */
export function processStartMs(pid: number): number | undefined {
  if (process.platform === 'win32') return undefined;
  const ticks = procStartTicks(pid);
  if (ticks !== undefined) {
    const boot = bootTimeMs();
    return boot === undefined ? undefined : boot + (Number(ticks) * 1000) / TICKS_PER_SECOND;
  }
  return psStartMs(pid);
}
