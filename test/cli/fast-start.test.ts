/**
 * The bin's start without the CA-bundle parse (scripts/fast-start.mjs): the published bin keeps the first line every
 * npm shim understands, the install step makes it `#!/bin/sh` where the kernel runs it, and both forms start.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

const SH_LINE = '":" //; unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"';
const BOGUS_CA = { NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' };

function firstLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n', 2);
}

/** An installed copy of the package: the bin, its chunks, package.json, the addon and node_modules. */
function installedCopy(): string {
  const root = tmp('absync-bin-');
  mkdirSync(join(root, 'dist'));
  cpSync(join(REPO, 'dist', 'cli'), join(root, 'dist', 'cli'), { recursive: true });
  cpSync(join(REPO, 'scripts'), join(root, 'scripts'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  if (existsSync(join(REPO, 'build'))) symlinkSync(join(REPO, 'build'), join(root, 'build'));
  return root;
}

/** Runs a file as the kernel would (no `node` in front), with PATH as it is. */
function exec(file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

/** npm's own cmd-shim, from the npm that runs here. */
function npmCmdShim(): ((from: string, to: string) => Promise<void>) | undefined {
  const root = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim();
  const path = join(root, 'npm', 'node_modules', 'cmd-shim');
  return existsSync(path) ? (createRequire(import.meta.url)(path) as (from: string, to: string) => Promise<void>) : undefined;
}

describe('the bin\'s first lines', () => {
  it('as built and published: #!/usr/bin/env node, then a line that is JavaScript and sh', () => {
    assert.deepEqual(firstLines(CLI), ['#!/usr/bin/env node', SH_LINE]);
  });

  it('the install step makes it #!/bin/sh: run directly (and through a .bin symlink) it starts without NODE_EXTRA_CA_CERTS', () => {
    const root = installedCopy();
    const bin = join(root, 'dist', 'cli', 'cli.js');
    // Before: the kernel runs node with the variable, and node complains about the bogus bundle at start.
    const before = exec(bin, ['--version'], BOGUS_CA);
    assert.equal(before.status, 0, before.stderr);
    assert.match(before.stderr, /Ignoring extra certs from `\/nonexistent\/ca\.pem`/);

    assert.equal(spawnSync(process.execPath, [join(root, 'scripts', 'fast-start.mjs')], { encoding: 'utf8' }).status, 0);
    assert.deepEqual(firstLines(bin), ['#!/bin/sh', SH_LINE]);
    assert.equal(statSync(bin).mode & 0o111, 0o111);
    const after = exec(bin, ['--version'], BOGUS_CA);
    assert.equal(after.status, 0, after.stderr);
    assert.equal(after.stderr, '');
    assert.match(after.stdout, /^gulp-absync \d+\.\d+\.\d+ \(engine: /);

    // As npm links it on Linux and macOS: node_modules/.bin/absync -> the bin.
    mkdirSync(join(root, '.bin'));
    symlinkSync(bin, join(root, '.bin', 'absync'));
    const t = tmp();
    const src = writeTree(join(t, 'src'), { a: 'a', 'd/b': 'b' });
    const r = exec(join(root, '.bin', 'absync'), [src, join(t, 'dst'), '--json'], BOGUS_CA);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assertMirror(src, join(t, 'dst'));
  });

  it('--restore puts the portable line back (before packing); ABSYNC_PORTABLE_BIN=1 keeps it at install', () => {
    const root = installedCopy();
    const bin = join(root, 'dist', 'cli', 'cli.js');
    const step = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [join(root, 'scripts', 'fast-start.mjs'), ...args], { env: { ...process.env, ...env } });
    step([], { ABSYNC_PORTABLE_BIN: '1' });
    assert.equal(firstLines(bin)[0], '#!/usr/bin/env node');
    step([]);
    assert.equal(firstLines(bin)[0], '#!/bin/sh');
    step(['--restore']);
    assert.deepEqual(firstLines(bin), ['#!/usr/bin/env node', SH_LINE]);
  });

  const cmdShim = npmCmdShim();
  it('npm\'s cmd-shim (Windows) reads the published bin as a node script, and its sh shim runs it', { skip: cmdShim ? false : 'npm\'s cmd-shim not found' }, async () => {
    const root = installedCopy();
    const to = join(root, 'node_modules-bin', 'absync');
    mkdirSync(dirname(to));
    await (cmdShim as (from: string, to: string) => Promise<void>)(join(root, 'dist', 'cli', 'cli.js'), to);
    const cmd = readFileSync(`${to}.cmd`, 'utf8');
    assert.match(cmd, /SET "_prog=node"/);
    assert.match(cmd, /"%_prog%"\s+"%dp0%\\\.\.\\dist\\cli\\cli\.js" %\*/);
    assert.match(readFileSync(`${to}.ps1`, 'utf8'), /& "node\$exe"\s+"\$basedir\/\.\.\/dist\/cli\/cli\.js" \$args/);
    // The sh shim (Git Bash, Cygwin) also runs here.
    const r = spawnSync('sh', [to, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^gulp-absync /);
  });
});
