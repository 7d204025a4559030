/** Trees that make a run fail in a known way, even as root (where permissions stop nothing). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A source with entries that no engine can reach (ENAMETOOLONG: their relative path is past PATH_MAX); the other
 * entries are mirrored. The destination's own path is longer too, so path-based writes fail a level earlier.
 */
export function tooDeepForDestination(root: string): { source: string; destination: string; deepFile: string } {
  const source = join(root, 's');
  mkdirSync(source, { recursive: true });
  // 18 levels of 231-byte names: the deepest folder's path relative to the source is past PATH_MAX (4096), so no engine
  // can reach it (the native one works relative to open folders, which only a relative path that long defeats).
  const names = Array.from({ length: 18 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(229)}`);
  execFileSync('bash', ['-c', `cd "$1" && for n in "\${@:2}"; do mkdir "$n" && cd "$n" || exit 1; done; echo deep > deep.txt`, 'bash', source, ...names]);
  writeFileSync(join(source, 'ok.txt'), 'ok');
  return { source, destination: join(root, 'd'.repeat(250)), deepFile: join(source, ...names, 'deep.txt') };
}
