/**
 * A child's script written to a temporary .mjs file. Not `node --input-type=module -e`: the engine's scan worker
 * inherits the parent's execArgv, and a worker refuses --input-type (the JavaScript engine's first scan of an
 * existing destination then fails with E_SOURCE_UNREADABLE).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../../helpers/tree.js';

let dir: string | undefined;
const written = new Map<string, string>();

/**
 * Writes `text` to `<tmp>/<name>.mjs` (once per process for the same text) and returns its path. Written under
 * another name and renamed into place: tests run in parallel, and a child that read the file while another call
 * rewrote it in place ran an empty script (exit 0, no output: a refusal that looked like a silent success).
 */
export function scriptFile(name: string, text: string): string {
  dir ??= tmp('absync-scripts-');
  const path = join(dir, `${name}.mjs`);
  if (written.get(path) === text) return path;
  const next = `${path}.${written.size}.tmp`;
  writeFileSync(next, text);
  renameSync(next, path);
  written.set(path, text);
  return path;
}
