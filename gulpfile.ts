/**
 * gulp tasks over the bundled example (loaded by `npx gulp` through esbuild-register, a devDependency).
 * It uses the compiled package: run `npm run build` once after cloning and after every change to src/.
 *
 *   npx gulp --tasks             list the tasks
 *   npx gulp absync              mirror SOURCE into DESTINATION once
 *   npx gulp absync --dry-run    print what it would change, and change nothing
 *   npx gulp absync:watch        mirror now, then on every change and every INTERVAL seconds, until Ctrl-C
 */
import { absyncTask, absyncWatch, type SyncOptions } from './dist/src/index.js';

// ---- Configuration (paths relative to this file; the ABSYNC_* variables let the tests use temporary folders) ----
const SOURCE = process.env.ABSYNC_SOURCE ?? 'examples/original';
const DESTINATION = process.env.ABSYNC_DESTINATION ?? 'examples/copy';
/** Outside SOURCE, so that writing it never looks like a change to mirror. */
const LOG_FILE = process.env.ABSYNC_LOG_FILE ?? 'examples/absync.log';
/** Seconds between two syncs of the watch, on top of syncing on every change. */
const INTERVAL = 60;
/** The engine's options, the same names as the CLI's flags (see README). */
const OPTIONS: SyncOptions = { exclude: ['.DS_Store', '*.swp'] };
// ----------------------------------------------------------------------------------------------------------------

// gulp passes flags it does not know through to process.argv; `flags` lists them in `gulp --tasks`.
export const absync = absyncTask({
  ...OPTIONS,
  source: SOURCE,
  destination: DESTINATION,
  dryRun: process.argv.includes('--dry-run'),
  description: `Mirror ${SOURCE} into ${DESTINATION} once (rsync -a --delete)`,
  flags: { '--dry-run': 'print what would change, and change nothing' },
});

/** Resolves when the watch stops (Ctrl-C or SIGTERM), so gulp reports the task as finished. */
export function watch(): Promise<void> {
  return absyncWatch({
    ...OPTIONS,
    source: SOURCE,
    destination: DESTINATION,
    interval: INTERVAL,
    logFile: LOG_FILE,
    handleSignals: true,
  }).closed;
}
watch.displayName = 'absync:watch';
watch.description = `Mirror ${SOURCE} into ${DESTINATION} now, on every change and every ${INTERVAL} s, logging to ${LOG_FILE}; Ctrl-C stops`;
