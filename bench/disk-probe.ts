/**
 * Is file creation in its normal state right now? Creating an empty file takes 20-50 us here normally and 150-600 us
 * for a while after many files were deleted, by this bench or by anything else on the machine (ext4 without a
 * journal skips recently deleted inodes one by one: see rounds.ts). First copies measured in that state measure the
 * disk, not the tools, so the bench probes before each first-copy round, waits a bounded time for the disk to
 * recover, and says so in the report when it did not. Probe files are never deleted before the end of the run.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PROBE_FILES = 300;
/** Microseconds per empty file above which file creation counts as slowed. */
export const SLOW_US = 100;
const POLL_MS = 5000;

export interface Probe {
  readonly where: string;
  readonly usPerFile: number;
  readonly waitedS: number;
  readonly slow: boolean;
}

export class DiskProbe {
  private count = 0;
  readonly probes: Probe[] = [];

  /** `budgetS`: how long this bench may wait in all for the disk to recover. */
  constructor(
    private readonly dir: string,
    private budgetS: number,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private once(): number {
    const d = join(this.dir, String(this.count++));
    mkdirSync(d);
    const t0 = performance.now();
    for (let i = 0; i < PROBE_FILES; i++) closeSync(openSync(join(d, `p${i}`), 'wx'));
    return ((performance.now() - t0) * 1000) / PROBE_FILES;
  }

  /** Probes; while slow, waits and probes again, up to `maxWaitS` (and the run's remaining budget). */
  async check(where: string, maxWaitS: number, log: (line: string) => void): Promise<Probe> {
    let us = this.once();
    let waited = 0;
    const limit = Math.min(maxWaitS, this.budgetS) * 1000;
    if (us > SLOW_US && limit > 0) log(`  file creation is slow (${us.toFixed(0)} us per empty file): waiting up to ${(limit / 1000).toFixed(0)} s before ${where}`);
    while (us > SLOW_US && waited < limit) {
      await sleep(POLL_MS);
      waited += POLL_MS;
      us = this.once();
    }
    this.budgetS -= waited / 1000;
    const probe: Probe = { where, usPerFile: us, waitedS: waited / 1000, slow: us > SLOW_US };
    this.probes.push(probe);
    return probe;
  }
}
