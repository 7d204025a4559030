/** ABSYNC_TRACE=1: timings on stderr, for finding where a run's time goes (sync.ts phases, apply-plan.ts steps). */

export function tracing(): boolean {
  return process.env['ABSYNC_TRACE'] === '1';
}

export function traceLine(text: string): void {
  process.stderr.write(`absync trace: ${text}\n`);
}
