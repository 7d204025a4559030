/**
 * Consumer projects: the package as `npm pack` makes it, installed from its tarball next to real gulp 5 and the
 * loaders gulp documents, then driven by gulp's own command line, as a new user would.
 *
 * One install serves every test of a run: `npm pack` + `npm install` happen only when the files the tarball is
 * made of changed since the last install (or never happened), under a lock shared by the test processes. Each case
 * is a fresh folder whose node_modules links to the packages it wants from that install, so a loader the case must
 * not see (ts-node, which gulp would pick first for a .ts file) is simply not there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';
import { tmp, writeTree, type TreeSpec } from '../helpers/tree.js';

/**
 * What the consumer installs besides our tarball, pinned: gulp 5.0.1 brings gulp-cli 3.1.0 (its CLI) and
 * vinyl-fs 4; gulp-replace is the plugin that edits text; the rest load (and ts-node type-checks) a gulpfile.ts.
 */
export const CONSUMER_PACKAGES: Readonly<Record<string, string>> = {
  gulp: '5.0.1',
  'gulp-replace': '1.1.4',
  'esbuild-register': '3.6.0',
  esbuild: '0.28.2',
  tsx: '4.23.15',
  'ts-node': '10.9.2',
  typescript: '5.9.3',
  '@types/node': '20.19.43',
  '@types/gulp': '4.0.18',
};

/** For every consumer test: a bound for hang detection (each gulp run is also bounded, at 120 s), not a timing. */
export const BOUNDED = { timeout: 240_000 } as const;

const CACHE = join(REPO, '.scratch', 'consumers');
const INSTALL = join(CACHE, 'install');
const LOCK = join(CACHE, 'lock');
/** What the tarball is made of (npm adds package.json and README.md whatever `files` says). */
const PACKED = ['package.json', 'README.md', 'binding.gyp', 'native', 'dist/src', 'dist/cli'];

function hashPackedFiles(): string {
  const h = createHash('sha256');
  const add = (rel: string): void => {
    const abs = join(REPO, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) add(`${rel}/${name}`);
      return;
    }
    h.update(`${rel}\0`).update(readFileSync(abs)).update('\0');
  };
  for (const p of PACKED) add(p);
  h.update(JSON.stringify(CONSUMER_PACKAGES));
  return h.digest('hex');
}

function run(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockHolder(): number {
  try {
    return Number(readFileSync(join(LOCK, 'pid'), 'utf8') || NaN);
  } catch {
    return NaN; // just made (no pid yet) or just removed: look again
  }
}

/** mkdir as a lock between the test processes of a run; a lock whose holder died is taken over. */
async function withLock<T>(fn: () => T): Promise<T> {
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = lockHolder();
      if (Number.isInteger(holder) && !pidAlive(holder)) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK} (held by pid ${holder})`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

let installed: Promise<string> | undefined;

/** The shared install's node_modules, packing and installing first if the package changed. */
export function consumerInstall(): Promise<string> {
  installed ??= withLock(() => {
    const want = hashPackedFiles();
    const stamp = join(INSTALL, 'installed-from');
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return join(INSTALL, 'node_modules');
    rmSync(INSTALL, { recursive: true, force: true });
    mkdirSync(INSTALL, { recursive: true });
    const tarball = run('npm', ['pack', '--silent', '--pack-destination', INSTALL, REPO], INSTALL).trim().split('\n').pop() as string;
    const pkg = { name: 'absync-consumer', version: '1.0.0', private: true, dependencies: { 'gulp-absync': `file:./${tarball}`, ...CONSUMER_PACKAGES } };
    writeFileSync(join(INSTALL, 'package.json'), JSON.stringify(pkg, null, 2));
    // --prefer-offline: a warm npm cache answers without asking the registry about each of ~190 packages.
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], INSTALL);
    writeFileSync(stamp, want);
    return join(INSTALL, 'node_modules');
  });
  return installed;
}

export interface ProjectOptions {
  /** Files of the project (gulpfile, sources); a package.json is added unless given. */
  files: TreeSpec;
  /** Installed packages the project sees; default all but the TypeScript loaders (gulp picks ts-node first). */
  packages?: readonly string[];
  /** `"type"` of the project's package.json; default CommonJS. */
  type?: 'module' | 'commonjs';
}

export interface Project {
  readonly dir: string;
  /** `gulp <args>` run to the end in the project (gulp's CLI, as `npx gulp` runs it). */
  gulp(args: readonly string[], opts?: GulpOptions): GulpResult;
  /** `gulp <args>` started in the project, for a long-running task (gulp.watch). */
  start(args: readonly string[], opts?: GulpOptions): Running;
}

export interface GulpOptions {
  /** Arguments for node before gulp's bin, e.g. ['--import', 'tsx']. */
  node?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export interface GulpResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr. */
  readonly output: string;
}

export interface Running {
  readonly child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Without colours: `--no-color` does not reach PluginError's own (ansi-colors). */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

const DEFAULT_PACKAGES = ['gulp-absync', 'gulp', 'gulp-replace'];

function linkPackages(dir: string, modules: string, packages: readonly string[]): void {
  const nm = join(dir, 'node_modules');
  mkdirSync(join(nm, '.bin'), { recursive: true });
  for (const name of packages) {
    if (name.includes('/')) mkdirSync(join(nm, name.split('/')[0] as string), { recursive: true });
    symlinkSync(join(modules, name), join(nm, name));
  }
  symlinkSync('../gulp/bin/gulp.js', join(nm, '.bin', 'gulp'));
}

/** A fresh project folder using the shared install. */
export async function project(options: ProjectOptions): Promise<Project> {
  const modules = await consumerInstall();
  const dir = tmp('absync-consumer-');
  writeTree(dir, { 'package.json': JSON.stringify({ name: 'consumer-case', private: true, type: options.type ?? 'commonjs' }), ...options.files });
  linkPackages(dir, modules, options.packages ?? DEFAULT_PACKAGES);
  const bin = join(dir, 'node_modules', 'gulp', 'bin', 'gulp.js');
  const argv = (args: readonly string[], opts: GulpOptions): string[] => [...(opts.node ?? []), bin, '--no-color', ...args];
  const env = (opts: GulpOptions): NodeJS.ProcessEnv => ({ ...process.env, ...opts.env });
  return {
    dir,
    gulp(args, opts = {}) {
      const r = spawnSync(process.execPath, argv(args, opts), { cwd: dir, encoding: 'utf8', env: env(opts), timeout: 120_000 });
      const stdout = plain(r.stdout);
      const stderr = plain(r.stderr);
      return { code: r.status, stdout, stderr, output: stdout + stderr };
    },
    start(args, opts = {}) {
      const child = spawn(process.execPath, argv(args, opts), { cwd: dir, env: env(opts), stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += plain(chunk.toString())));
      child.stderr.on('data', (chunk: Buffer) => (text += plain(chunk.toString())));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return { child, output: () => text, exited };
    },
  };
}
