/**
 * Long-lived child processes that each call the public `sync()` once per line they read on stdin, printing one JSON
 * line per call. Writing a line to every child at once starts their runs together (a barrier without sleeping), many
 * rounds without paying for a process start each time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO } from '../../helpers/cli.js';
import type { Engine } from './engines.js';
import { scriptFile } from './script.js';

const INDEX = fileURLToPath(new URL('../../../src/index.js', import.meta.url));

const SCRIPT = `
  const { sync } = await import(${JSON.stringify(INDEX)});
  const { createInterface } = await import('node:readline');
  for await (const line of createInterface({ input: process.stdin })) {
    try {
      const s = await sync(JSON.parse(line));
      console.log(JSON.stringify({ ok: true, copied: s.copied, failed: s.failed, ...(s.failed ? { first: s.failures[0] } : {}) }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, code: e.code, message: String(e.message) }));
    }
  }`;

/** One call's answer. */
export type PoolResult = { ok: true; copied: number; failed: number; first?: unknown } | { ok: false; code?: string; message: string };

/** Children calling sync(). */
export interface SyncPool {
  /** Starts `options` in every child at once; resolves with each child's answer (rejects after `boundMs`). */
  readonly round: (options: Record<string, unknown>, boundMs?: number) => Promise<PoolResult[]>;
  readonly close: () => Promise<void>;
}

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  wake?: () => void;
}

/** Starts `size` children with the engine's environment. */
export function syncPool(engine: Engine, size: number): SyncPool {
  const children: Child[] = Array.from({ length: size }, () => {
    const proc = spawn(process.execPath, [scriptFile('sync-pool', SCRIPT)], { cwd: REPO, env: engine.env, stdio: ['pipe', 'pipe', 'inherit'] });
    const child: Child = { proc, lines: [] };
    let buf = '';
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      child.lines.push(...parts.filter((p) => p !== ''));
      child.wake?.();
    });
    proc.on('close', () => child.wake?.());
    return child;
  });
  const next = (c: Child, deadline: number): Promise<PoolResult> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const line = c.lines.shift();
        if (line !== undefined) {
          clearTimeout(timer);
          c.wake = undefined;
          resolve(JSON.parse(line) as PoolResult);
        } else if (c.proc.exitCode !== null) reject(new Error(`a sync() child exited (${String(c.proc.exitCode)})`));
      };
      const timer = setTimeout(() => reject(new Error('a sync() child did not answer within the bound (hung?)')), Math.max(0, deadline - Date.now()));
      c.wake = check;
      check();
    });
  return {
    round: async (options, boundMs = 20_000) => {
      const line = `${JSON.stringify(options)}\n`;
      for (const c of children) c.proc.stdin?.write(line);
      const deadline = Date.now() + boundMs;
      return Promise.all(children.map((c) => next(c, deadline)));
    },
    close: async () => {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.proc.exitCode !== null) return resolve();
              c.proc.on('close', () => resolve());
              c.proc.stdin?.end();
              setTimeout(() => c.proc.kill('SIGKILL'), 5_000).unref();
            }),
        ),
      );
    },
  };
}
