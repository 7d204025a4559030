// `npm install` step: builds the optional native addon (native/*.c) unless the package ships one that loads here
// (prebuilds/, made by `npm pack`). Never fails the install: without the addon (no compiler, not Linux,
// ABSYNC_NO_NATIVE=1) the engine uses its JavaScript paths, with the same results.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** True when a prebuilt addon for this system is there and loads (a glibc too old for it does not). */
function prebuiltLoads() {
  try {
    const require = createRequire(import.meta.url);
    const file = require('node-gyp-build').path(root);
    if (!file.includes('prebuilds')) return false;
    require(file);
    return true;
  } catch {
    return false;
  }
}

// Linux only: the writes use openat2, copy_file_range and FICLONE.
const skip = process.platform !== 'linux' ? `not built on ${process.platform} (Linux only)` : process.env.ABSYNC_NO_NATIVE === '1' ? 'ABSYNC_NO_NATIVE=1' : '';
if (skip) {
  console.warn(`gulp-absync: native addon ${skip}; using the JavaScript engine`);
} else if (!prebuiltLoads()) {
  // npm tells scripts where its bundled node-gyp is; outside npm, try one on PATH.
  const gyp = process.env.npm_config_node_gyp;
  const r = gyp ? spawnSync(process.execPath, [gyp, 'rebuild'], { encoding: 'utf8', cwd: root }) : spawnSync('node-gyp', ['rebuild'], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || r.stdout || '').trim().split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
    console.warn(`gulp-absync: native addon not built (${why || `exit ${r.status}`}); using the JavaScript engine`);
  }
}
