/** Runs the real CLI as a child process. */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readableCli } from './readable-install.js';

/** The `absync` bin as installed: dist/cli/cli.js, the CLI bundled by `npm run build` (dist/test/helpers -> ../../cli). */
export const CLI = fileURLToPath(new URL('../../cli/cli.js', import.meta.url));
/** The repository root (dist/test/helpers -> ../../..). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin; with a uid, as that user, from a readable copy (see readable-install.ts) so the checkout may lie anywhere. */
export function absync(args: readonly string[], opts: { cwd?: string; uid?: number; gid?: number } = {}): CliResult {
  const other = opts.uid !== undefined;
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [other ? readableCli() : CLI, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? (other ? '/' : REPO),
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The parsed --json line (the last line of stdout). */
export function jsonOf(r: CliResult): Record<string, unknown> {
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
}

export function absyncAsync(args: readonly string[]) {
  return spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
}
