// `npm pack` step (prepack): builds the addon here and puts it where node-gyp-build looks for a shipped one,
// prebuilds/linux-x64/node.napi.glibc.node, so that a Linux user gets the native engine with no compiler and no install
// script. Node-API, so one file serves every Node version. Offline: node-gyp uses the headers of the Node it runs
// under (npm's nodedir). Elsewhere than linux-x64 nothing is shipped, and the JavaScript engine runs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}prebuilds`;
rmSync(out, { recursive: true, force: true });
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.warn(`gulp-absync: no prebuilt addon made on ${process.platform}-${process.arch} (linux-x64 only)`);
  process.exit(0);
}
// In a folder of its own: build/ here may be in use (tests load it while a consumer test packs).
const work = mkdtempSync(join(tmpdir(), 'absync-prebuild-'));
cpSync(`${root}binding.gyp`, `${work}/binding.gyp`);
cpSync(`${root}native`, `${work}/native`, { recursive: true });
const gyp = process.env.npm_config_node_gyp;
// stdout to stderr: `npm pack` prints the tarball's name on stdout, and callers read it.
const io = { cwd: work, stdio: ['ignore', 2, 2] };
const r = gyp ? spawnSync(process.execPath, [gyp, 'rebuild'], io) : spawnSync('node-gyp', ['rebuild'], io);
if (r.status !== 0) {
  rmSync(work, { recursive: true, force: true });
  console.error('gulp-absync: the addon did not build; a package without its prebuilt addon is not made');
  process.exit(1);
}
mkdirSync(`${out}/linux-x64`, { recursive: true });
// The glibc tag: node-gyp-build never offers it to a musl system (Alpine), which gets the JavaScript engine.
copyFileSync(`${work}/build/Release/absync_native.node`, `${out}/linux-x64/node.napi.glibc.node`);
rmSync(work, { recursive: true, force: true });
