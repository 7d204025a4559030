/** Human-readable lines for a Summary, shared by the CLI, the watch wrapper and the log file. */
import type { Failure, Summary } from '../engine/index.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** One line per run: what it did, how much, how long. */
export function formatSummary(s: Summary): string {
  const parts = [
    `copied ${s.copied}`, `updated ${s.updated}`, `deleted ${s.deleted}`, `moved ${s.moved}`,
    `skipped ${s.skipped}`, `failed ${s.failed}`,
  ];
  if (s.created > 0) parts.push(`folders ${s.created}`);
  if (s.vanished > 0) parts.push(`vanished ${s.vanished}`);
  const head = s.dryRun ? 'dry run (nothing changed): would have' : 'synced';
  const grid = s.mtimeStepUs !== undefined && s.mtimeStepUs >= 1e6 ? `; mtimes compared to the whole second (${s.mtimeStepWhy ?? 'SFTP-only server'})` : '';
  return `${head} ${s.source} -> ${s.destination}: ${parts.join(', ')}; ${formatBytes(s.bytes)} in ${formatDuration(s.durationMs)}${grid}`;
}

export function formatFailure(f: Failure): string {
  return `failed: ${f.path === '' ? '.' : f.path}: ${f.op}: ${f.message}`;
}

/** The JSON line printed by --json: the top-level counts first, then the detail. */
export function summaryJson(s: Summary): string {
  return JSON.stringify(s);
}
