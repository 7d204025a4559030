/** `--stats`: a short block after the run, from its Summary (entries scanned, planned and done by kind, bytes, time). */
import type { ActionCounts, Summary } from '../engine/index.js';
import { formatBytes, formatDuration } from '../shared/format.js';

const KINDS: readonly (keyof ActionCounts)[] = ['copied', 'updated', 'deleted', 'moved', 'created', 'attrs'];

function counts(c: ActionCounts): string {
  return KINDS.map((k) => `${k} ${c[k]}`).join(', ');
}

export function formatStats(s: Summary): string[] {
  const t = s.phaseMs;
  return [
    'stats:',
    `  scanned   source ${s.scanned.source} entries, destination ${s.scanned.destination} entries`,
    `  planned   ${counts(s.planned)}; ${formatBytes(s.bytesPlanned)}`,
    `  ${s.dryRun ? 'would do ' : 'done     '} ${counts(s)}; ${formatBytes(s.bytes)}`,
    `  not done  failed ${s.failed}, vanished ${s.vanished}, skipped ${s.skipped}`,
    `  time      scan ${formatDuration(t.scan)}, plan ${formatDuration(t.plan)}, apply ${formatDuration(t.apply)}; ${formatDuration(s.durationMs)} in all`,
  ];
}
