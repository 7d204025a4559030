/**
 * A child's script written to a temporary .mjs file. Not `node --input-type=module -e`: the engine's scan worker
 * inherits the parent's execArgv, and a worker refuses --input-type (the JavaScript engine's first scan of an
 * existing destination then fails with E_SOURCE_UNREADABLE).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../../helpers/tree.js';

let dir: string | undefined;

/** Writes `text` to `<tmp>/<name>.mjs` (once per process) and returns its path. */
export function scriptFile(name: string, text: string): string {
  dir ??= tmp('absync-scripts-');
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, text);
  return path;
}
