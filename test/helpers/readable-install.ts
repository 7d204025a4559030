/**
 * Runs as another user (uid 65534) need to read the bin and what it loads. A checkout under a folder that user cannot
 * enter (a 0700 home, /root, a `mktemp -d`) would fail with "Cannot find module .../dist/cli/cli.js", so such runs
 * use a world-readable copy of what the package ships and runs: package.json, dist/cli, dist/src, the built addon,
 * and the runtime dependencies from package-lock.json. Made once per test file, in the temp folder.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';
import { tmp } from './tree.js';

/** The uid and gid of the unprivileged user the permission tests run as. */
export const NOBODY = 65534;

let made: { root?: string; why?: string } | undefined;

/** Gives everyone read access to files and entry to folders under `path` (keeping execute bits). */
function openUp(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) openUp(join(path, name));
  } else chmodSync(path, (st.mode & 0o7777) | 0o444);
}

/** Package folders (node_modules/...) the package needs at run time: lockfile entries not marked dev. */
function runtimePackages(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && p.dev !== true)
    .map(([path]) => path)
    .filter((path) => existsSync(join(REPO, path)));
}

function make(): { root?: string; why?: string } {
  const root = tmp('absync-readable-');
  for (const rel of ['package.json', 'dist/cli', 'dist/src', 'build/Release/absync_native.node', ...runtimePackages()]) {
    if (existsSync(join(REPO, rel))) cpSync(join(REPO, rel), join(root, rel), { recursive: true, dereference: true });
  }
  openUp(root);
  // The temp folder itself must let that user in (TMPDIR could be a private folder).
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(root, 'dist/cli/cli.js'))}, require('fs').constants.R_OK)`], {
    uid: NOBODY,
    gid: NOBODY,
    cwd: '/',
    encoding: 'utf8',
  });
  if (probe.status !== 0) return { why: `uid ${NOBODY} cannot read a copy of the bin in ${root} (TMPDIR not reachable by that user?)` };
  return { root };
}

/** The readable copy's root, or why there is none (then a test skips with that reason). */
export function readableInstall(): { root?: string; why?: string } {
  made ??= make();
  return made;
}

/** The bin in the readable copy. Throws with the reason when there is none: check `nobodySkip()` first. */
export function readableCli(): string {
  const { root, why } = readableInstall();
  if (!root) throw new Error(why);
  return join(root, 'dist/cli/cli.js');
}

/** Why tests cannot run as uid 65534 here (not root, or no readable copy), or undefined. */
export function nobodySkip(): string | undefined {
  if (process.getuid?.() !== 0) return `needs root to run as uid ${NOBODY}`;
  return readableInstall().why;
}
