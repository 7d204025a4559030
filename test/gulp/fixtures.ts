/** Trees that make a run fail in a known way, even as root (where permissions stop nothing). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A source whose deepest entries fit in PATH_MAX (4096) but not once placed under `destination`, whose own path
 * is about 250 characters longer: those entries fail with ENAMETOOLONG, the others are mirrored.
 */
export function tooDeepForDestination(root: string): { source: string; destination: string; deepFile: string } {
  const source = join(root, 's');
  let dir = source;
  for (let i = 0; i < 17; i++) dir = join(dir, `${String(i).padStart(2, '0')}${'x'.repeat(229)}`);
  mkdirSync(dir, { recursive: true });
  const deepFile = join(dir, 'deep.txt');
  writeFileSync(deepFile, 'deep');
  writeFileSync(join(source, 'ok.txt'), 'ok');
  return { source, destination: join(root, 'd'.repeat(250)), deepFile };
}
