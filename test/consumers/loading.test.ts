/**
 * Issue 12, point 1: the package loads in every kind of gulpfile gulp users write: CommonJS (require), ES module
 * (.mjs), and gulpfile.ts under the loaders gulp documents (esbuild-register, tsx, ts-node, which also type-checks
 * against our declarations). Each runs a plugin task and an absyncTask through gulp's own CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { assertMirror, type TreeSpec } from '../helpers/tree.js';
import { BOUNDED, consumerInstall, project, type Project } from './project.js';

before(() => consumerInstall(), { timeout: 600_000 });

const SITE: TreeSpec = {
  'site/index.html': '<h1>hi</h1>\n',
  'site/css/site.css': 'body {}\n',
  'site/img/logo.bin': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x80]),
  'site/.well-known/x': 'dot file\n',
};

function mirrored(p: Project, out: string): void {
  assertMirror(join(p.dir, 'site'), join(p.dir, out), { dirMtimes: false });
}

/** Runs the two tasks every gulpfile here defines, and checks both mirrors. */
function runsBothTasks(p: Project, opts: Parameters<Project['gulp']>[1] = {}): void {
  const r = p.gulp(['plugin', 'task'], opts);
  assert.equal(r.code, 0, r.output);
  assert.match(r.stdout, /Finished 'plugin'/);
  assert.match(r.stdout, /synced .*site -> .*out\/task: copied 4,[\s\S]*Finished 'task'/);
  mirrored(p, 'out/plugin');
  mirrored(p, 'out/task');
}

const TS_GULPFILE = `
import gulp from 'gulp';
import { absync, absyncTask, type PluginOptions } from 'gulp-absync';

const options: PluginOptions = { checksum: false };

export function plugin() {
  return gulp.src('site/**', { dot: true, encoding: false }).pipe(absync('out/plugin', options));
}
export const task = absyncTask({ source: 'site', destination: 'out/task' });
`;

test('gulpfile.js (CommonJS): require() gives named exports, and the plugin itself', BOUNDED, () =>
  project({
    files: {
      ...SITE,
      'gulpfile.js': `
const gulp = require('gulp');
const { absyncTask } = require('gulp-absync');
const absync = require('gulp-absync');

exports.plugin = () => gulp.src('site/**', { dot: true, encoding: false }).pipe(absync('out/plugin'));
exports.task = absyncTask({ source: 'site', destination: 'out/task' });
exports.same = async () => {
  const named = require('gulp-absync');
  if (named.absync !== named.default || typeof named.sync !== 'function' || typeof named.AbsyncError !== 'function') throw new Error('exports missing');
  if (!(await import('gulp-absync')).absync || (await import('gulp-absync')).AbsyncError !== named.AbsyncError) throw new Error('two copies');
};
`,
    },
  }).then((p) => {
    runsBothTasks(p);
    const same = p.gulp(['same']);
    assert.equal(same.code, 0, same.output);
    // And through npx, as the README says to run it.
    const npx = spawnSync('npx', ['--no-install', 'gulp', '--no-color', '--tasks-simple'], { cwd: p.dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(npx.status, 0, npx.stdout + npx.stderr);
    assert.deepEqual(npx.stdout.trim().split('\n').sort(), ['plugin', 'same', 'task']);
  }));

test('require() on a Node without require(esm) is one clear line, not ERR_PACKAGE_PATH_NOT_EXPORTED', BOUNDED, () =>
  project({ files: { ...SITE, 'gulpfile.js': "const { absync } = require('gulp-absync');\nexports.plugin = () => Promise.resolve();\n" } }).then((p) => {
    // What Node before 20.19 does, simulated by turning require(esm) off.
    const r = p.gulp(['plugin'], { node: ['--no-experimental-require-module'] });
    assert.equal(r.code, 1);
    assert.match(r.output, /gulp-absync is an ES module: require\('gulp-absync'\) needs Node 20\.19\+ or 22\.12\+.*Upgrade Node, or load it with import/);
    assert.doesNotMatch(r.output, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  }));

test('gulpfile.mjs: static import, named and default', BOUNDED, () =>
  project({
    files: {
      ...SITE,
      'gulpfile.mjs': `
import gulp from 'gulp';
import absync, { absyncTask } from 'gulp-absync';
export const plugin = () => gulp.src('site/**', { dot: true, encoding: false }).pipe(absync('out/plugin'));
export const task = absyncTask({ source: 'site', destination: 'out/task' });
`,
    },
  }).then((p) => {
    runsBothTasks(p);
    // An ES module gulpfile needs no require(esm).
    const r = p.gulp(['plugin'], { node: ['--no-experimental-require-module'] });
    assert.equal(r.code, 0, r.output);
  }));

test('gulpfile.ts under esbuild-register (gulp picks it from interpret)', BOUNDED, () =>
  project({ files: { ...SITE, 'gulpfile.ts': TS_GULPFILE }, packages: ['gulp-absync', 'gulp', 'esbuild-register', 'esbuild'] }).then((p) => {
    runsBothTasks(p);
  }));

test("gulpfile.ts under tsx (NODE_OPTIONS='--import tsx')", BOUNDED, () =>
  project({ files: { ...SITE, 'gulpfile.ts': TS_GULPFILE }, packages: ['gulp-absync', 'gulp', 'tsx'] }).then((p) => {
    runsBothTasks(p, { env: { NODE_OPTIONS: '--import tsx' } });
  }));

test('gulpfile.ts under ts-node, type-checked against our declarations', BOUNDED, () =>
  project({
    files: {
      ...SITE,
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, esModuleInterop: true, module: 'commonjs', target: 'es2022', skipLibCheck: true } }),
      // The unused @ts-expect-error would fail the type check if the package's types were not found.
      'gulpfile.ts': `${TS_GULPFILE}\n// @ts-expect-error dest must be a string: proves the declarations are loaded\nexport const typed = () => absync(42);\n`,
    },
    packages: ['gulp-absync', 'gulp', 'ts-node', 'typescript', '@types/node', '@types/gulp'],
  }).then((p) => {
    runsBothTasks(p);
    const listed = p.gulp(['--tasks-simple']);
    assert.equal(listed.code, 0, listed.output);
    assert.match(listed.stdout, /^plugin$/m);
  }));
