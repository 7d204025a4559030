/**
 * One absync run into a remote destination, in its own process (as the CLI would run it): the library's runSync, which
 * connects, probes, mirrors and closes, as every face does. Prints one JSON line: the outcome counts and the process's
 * peak RSS. Usage: node remote-child.js '<json job>'.
 */
import { resolveOptions, runSync, type SyncOptions } from '../src/engine/index.js';

export interface RemoteJob {
  readonly source: string;
  readonly destination: string;
  readonly options: Omit<SyncOptions, 'source' | 'destination'>;
}

export interface RemoteReply {
  readonly ok: boolean;
  readonly actions: number;
  readonly failed: number;
  readonly scanMode: string;
  readonly maxRssKiB: number;
  readonly error?: string;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as RemoteJob;
  let reply: RemoteReply;
  try {
    const run = await runSync(resolveOptions({ ...job.options, source: job.source, destination: job.destination }));
    const failed = run.summary.failed;
    reply = {
      ok: failed === 0,
      actions: run.plan.actions.length,
      failed,
      // Whole-second mtimes are what an SFTP-only account gives; where exec is allowed, find scans and times are fine.
      scanMode: run.summary.mtimeStepUs === undefined ? 'exec' : 'sftp',
      maxRssKiB: process.resourceUsage().maxRSS,
      ...(failed > 0 ? { error: `${failed} failed: ${JSON.stringify(run.summary.failures[0])}` } : {}),
    };
  } catch (err) {
    reply = { ok: false, actions: 0, failed: 0, scanMode: '', maxRssKiB: process.resourceUsage().maxRSS, error: (err as Error).message };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
  process.exit(reply.ok ? 0 : 1);
}

void main();
