/**
 * One absync run into a remote destination, in its own process (as the CLI would run it): connect, mirror through
 * the engine's phases (test/helpers/remote-run.ts, until sync() takes remote destinations), close. Prints one JSON
 * line: the outcome counts and the process's peak RSS. Usage: node remote-child.js '<json job>'.
 */
import { openSftpTree, type SftpTreeOptions } from '../src/engine/backends/sftp/index.js';
import { mirrorRemote } from '../test/helpers/remote-run.js';

export interface RemoteJob {
  readonly source: string;
  readonly destination: string;
  readonly options: SftpTreeOptions;
  readonly concurrency?: number;
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
    const t0 = performance.now();
    const tree = await openSftpTree(job.destination, job.options);
    if (process.env.ABSYNC_TRACE === '1') process.stderr.write(`absync trace: connected and probed in ${(performance.now() - t0).toFixed(1)} ms (${(performance.now()).toFixed(0)} ms since start)\n`);
    try {
      const run = await mirrorRemote(job.source, tree, job.concurrency !== undefined ? { concurrency: job.concurrency } : {});
      const failed = run.summary.failed;
      reply = {
        ok: failed === 0,
        actions: run.plan.actions.length,
        failed,
        scanMode: tree.scanMode,
        maxRssKiB: process.resourceUsage().maxRSS,
        ...(failed > 0 ? { error: `${failed} failed: ${JSON.stringify(run.summary.failures[0])}` } : {}),
      };
    } finally {
      await tree.close();
    }
  } catch (err) {
    reply = { ok: false, actions: 0, failed: 0, scanMode: '', maxRssKiB: process.resourceUsage().maxRSS, error: (err as Error).message };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
  process.exit(reply.ok ? 0 : 1);
}

void main();
