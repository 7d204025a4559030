/**
 * A long-lived Node process that runs gulp-absync's library API in-process, one sync per message from the bench.
 * Kept apart from the bench process so that the bench's own memory (snapshots for verification) and garbage neither
 * slow the library down nor count in its peak memory. Started with --expose-gc: the heap is collected before each
 * run (untimed), and the peak RSS is reset through /proc/self/clear_refs, so each run's peak is its own.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface SyncApi {
  sync(options: { source: string; destination: string }): Promise<{ failed: number; failures?: unknown[] }>;
}

export interface ApiRequest {
  readonly source: string;
  readonly destination: string;
}

export type ApiReply =
  | { readonly ok: true; readonly ms: number; readonly peakRssKiB?: number; readonly failed: number; readonly detail?: string }
  | { readonly ok: false; readonly ms: number; readonly error: string };

/** `<srcDir>/index.js` if it exports `sync`, else `<srcDir>/engine/index.js` (srcDir: a built dist/src). */
async function loadApi(srcDir: string): Promise<{ api: SyncApi; from: string }> {
  for (const rel of ['index.js', 'engine/index.js']) {
    const path = join(srcDir, rel);
    if (!existsSync(path)) continue;
    const mod = (await import(pathToFileURL(path).href)) as Partial<SyncApi>;
    if (typeof mod.sync === 'function') return { api: mod as SyncApi, from: `dist/src/${rel}` };
  }
  throw new Error(`no sync() export in ${srcDir}/index.js or ${srcDir}/engine/index.js (run npm run build)`);
}

function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakKiB(canReset: boolean): number | undefined {
  if (!canReset) return process.resourceUsage().maxRSS;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const send = (m: unknown): void => {
    process.send?.(m);
  };
  let api: SyncApi;
  try {
    const loaded = await loadApi(process.argv[2] ?? '');
    api = loaded.api;
    send({ ready: true, from: loaded.from });
  } catch (e) {
    send({ ready: false, error: (e as Error).message });
    process.exit(1);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (req: ApiRequest) => {
    gc?.();
    const canReset = resetPeak();
    const t0 = performance.now();
    api.sync({ source: req.source, destination: req.destination }).then(
      (summary) => {
        const ms = performance.now() - t0;
        const peak = peakKiB(canReset);
        const detail = summary.failed > 0 ? JSON.stringify(summary.failures ?? []).slice(0, 500) : undefined;
        send({ ok: true, ms, failed: summary.failed, ...(peak !== undefined ? { peakRssKiB: peak } : {}), ...(detail ? { detail } : {}) });
      },
      (e: unknown) => send({ ok: false, ms: performance.now() - t0, error: (e as Error)?.message ?? String(e) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

void main();
