// `npm install` step: builds the optional native scanner (native/scan.c). Never fails the install: without the
// addon (no compiler, Windows, ABSYNC_NO_NATIVE=1) the engine uses its JavaScript scanner, with the same results.
import { spawnSync } from 'node:child_process';

const skip = process.platform === 'win32' ? 'not built on Windows' : process.env.ABSYNC_NO_NATIVE === '1' ? 'ABSYNC_NO_NATIVE=1' : '';
if (skip) {
  console.warn(`gulp-absync: native scanner ${skip}; using the JavaScript scanner`);
} else {
  // npm tells scripts where its bundled node-gyp is; outside npm, try one on PATH.
  const gyp = process.env.npm_config_node_gyp;
  const r = gyp ? spawnSync(process.execPath, [gyp, 'rebuild'], { encoding: 'utf8' }) : spawnSync('node-gyp', ['rebuild'], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || r.stdout || '').trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
    console.warn(`gulp-absync: native scanner not built (${why || `exit ${r.status}`}); using the JavaScript scanner`);
  }
}
