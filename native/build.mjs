// `npm install` step: builds the optional native addon (native/*.c). Never fails the install: without the
// addon (no compiler, not Linux, ABSYNC_NO_NATIVE=1) the engine uses its JavaScript paths, with the same results.
import { spawnSync } from 'node:child_process';

// Linux only: the writes use openat2, copy_file_range and FICLONE.
const skip = process.platform !== 'linux' ? `not built on ${process.platform} (Linux only)` : process.env.ABSYNC_NO_NATIVE === '1' ? 'ABSYNC_NO_NATIVE=1' : '';
if (skip) {
  console.warn(`gulp-absync: native addon ${skip}; using the JavaScript engine`);
} else {
  // npm tells scripts where its bundled node-gyp is; outside npm, try one on PATH.
  const gyp = process.env.npm_config_node_gyp;
  const r = gyp ? spawnSync(process.execPath, [gyp, 'rebuild'], { encoding: 'utf8' }) : spawnSync('node-gyp', ['rebuild'], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || r.stdout || '').trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
    console.warn(`gulp-absync: native addon not built (${why || `exit ${r.status}`}); using the JavaScript engine`);
  }
}
