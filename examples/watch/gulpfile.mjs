/**
 * A watch with a log file: mirrors ../original into out/mirror now, on every change and every 30 seconds, and
 * appends each run's summary (and each failure) to out/absync.log. Ctrl-C (or SIGTERM) stops it cleanly.
 *
 *   npm run build && npx gulp --gulpfile examples/watch/gulpfile.mjs watch
 *
 * Everything it writes stays in examples/watch/out/ (gulp runs it from this folder).
 */
import { absyncWatch } from 'gulp-absync';

export function watch() {
  const handle = absyncWatch({
    source: '../original',
    destination: 'out/mirror',
    logFile: 'out/absync.log',
    interval: 30,
    handleSignals: true,
  });
  // The task lasts as long as the watch: gulp reports it finished once Ctrl-C has stopped it.
  return handle.closed;
}
watch.description = 'Mirror ../original into out/mirror on every change and every 30 s, logging to out/absync.log';

export default watch;
