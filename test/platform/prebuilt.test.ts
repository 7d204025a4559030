/**
 * The package as `npm pack` makes it ships the addon prebuilt for linux-x64 (glibc), so an install with no compiler
 * and no install script still runs the native engine: a tarball installed with `--ignore-scripts` into a fresh
 * project, with PATH stripped down to node, npm and sh, and `ABSYNC_TRACE=1 npx absync` naming the engine it loaded.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

const SKIP = process.platform === 'linux' && process.arch === 'x64' ? false : 'the package ships a prebuilt addon for linux-x64 only';

/** The first `name` on PATH. */
function which(name: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`${name} is not on PATH`);
}

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('the packed package on Linux without a compiler', () => {
  it('installs with --ignore-scripts and runs the shipped native addon', { skip: SKIP, timeout: 600_000 }, () => {
    const root = tmp();
    const pack = join(root, 'pack');
    mkdirSync(pack);
    const tarball = run('npm', ['pack', '--silent', '--pack-destination', pack, REPO], pack).trim().split('\n').pop() as string;
    const listing = run('tar', ['tzf', join(pack, tarball)], pack);
    assert.match(listing, /^package\/prebuilds\/linux-x64\/node\.napi\.glibc\.node$/m);

    // A PATH with node, npm and sh only (npx runs a bin through sh): no cc, gcc, make or python for node-gyp to find.
    const bin = join(root, 'bin');
    mkdirSync(bin);
    for (const tool of ['node', 'npm', 'npx', 'sh']) symlinkSync(tool === 'node' ? process.execPath : which(tool), join(bin, tool));
    const env = { ...process.env, PATH: bin, ABSYNC_TRACE: '1' };
    for (const compiler of ['cc', 'gcc', 'make', 'python3']) assert.equal(spawnSync(compiler, ['--version'], { env }).error?.message.includes('ENOENT'), true, `${compiler} is not reachable`);

    const project = join(root, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(pack, tarball)], project, env);
    assert.equal(existsSync(join(project, 'node_modules/gulp-absync/build')), false, 'nothing was built');

    const src = writeTree(join(root, 'src'), { 'a.txt': 'a', 'sub/b.txt': 'b', l: { link: 'a.txt' } });
    const dst = join(root, 'dst');
    const r = spawnSync('npx', ['absync', src, dst], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^absync trace: engine native \(prebuilds\/linux-x64\/node\.napi\.glibc\.node\)$/m, r.stderr);
    assertMirror(src, dst);
    assert.deepEqual(readdirSync(dst).sort(), ['a.txt', 'l', 'sub']);
    // --version and --json name the engine too (no trace needed).
    const plain = { ...env, ABSYNC_TRACE: '' };
    const v = spawnSync('npx', ['absync', '--version'], { cwd: project, env: plain, encoding: 'utf8', timeout: 120_000 });
    assert.match(v.stdout, /\(engine: native \(prebuilds\/linux-x64\/node\.napi\.glibc\.node\)\)$/m, v.stdout + v.stderr);
    const j = spawnSync('npx', ['absync', src, dst, '--json'], { cwd: project, env: plain, encoding: 'utf8', timeout: 120_000 });
    assert.equal(JSON.parse(j.stdout.trim().split('\n').pop() as string).engine, 'native', j.stdout + j.stderr);
  });
});
