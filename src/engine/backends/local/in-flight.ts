/**
 * Temporary files a local tree is writing right now. When the process exits in the middle of a run (a gulp that
 * exits because another task failed, a process.exit() in a build script), the ones still there are removed
 * synchronously, so no `.absync-tmp.*` file is left for the next run to clean up. The names are unpredictable, so
 * removing one by its path never hits anything but our own file.
 */
import { lstatSync, unlinkSync } from 'node:fs';

const pending = new Set<string>();
let listening = false;

function removeAll(): void {
  for (const path of pending) {
    try {
      const st = lstatSync(path);
      if (st.isFile() || st.isSymbolicLink()) unlinkSync(path);
    } catch {
      /* gone already, or placed */
    }
  }
  pending.clear();
}

/** Notes temporaries about to be written; `done` forgets them once their step has ended (placed or removed). */
export function inFlight(paths: readonly string[]): { done(): void } {
  if (!listening) {
    process.once('exit', removeAll);
    listening = true;
  }
  for (const p of paths) pending.add(p);
  return { done: () => paths.forEach((p) => pending.delete(p)) };
}

/** Runs `step` with `paths` noted as in flight for as long as it runs. */
export async function whileInFlight<T>(paths: readonly string[], step: () => Promise<T>): Promise<T> {
  const flying = inFlight(paths);
  try {
    return await step();
  } finally {
    flying.done();
  }
}
