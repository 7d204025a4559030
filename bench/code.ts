/**
 * The gulp-absync build under test, frozen for the whole run: dist/src and dist/cli are copied into the benchmark's folder (with
 * package.json and a link to node_modules), so a rebuild of dist/ during a long run cannot change the code halfway,
 * and the CLI and the API run the same code.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/bench/code.js -> ../..). */
export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BUILT_SRC = join(REPO, 'dist', 'src');
/** The `absync` bin: the CLI bundled by `npm run build`. */
export const BUILT_CLI = join(REPO, 'dist', 'cli');

export interface CodeUnderTest {
  /** dist/src of the frozen copy (the library the API host imports). */
  readonly srcDir: string;
  /** dist/cli/cli.js of the frozen copy: the `absync` bin. */
  readonly cli: string;
  /** e.g. "5b892ee" or "5b892ee + uncommitted changes in src/". */
  readonly version: string;
  /** Which scanner the engine will use: the native addon (built by npm install) or the JavaScript fallback. */
  readonly scanner: string;
}

/** The native scanner, where dist/src/engine/scan/native-scan.js looks for it (four folders up). */
const ADDON = join('build', 'Release', 'absync_native.node');

function gitVersion(): string {
  const head = spawnSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = spawnSync('git', ['-C', REPO, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() !== '' ? ' + uncommitted changes in src/' : ''}`;
}

export function freezeCode(into: string): CodeUnderTest {
  if (!existsSync(join(BUILT_CLI, 'cli.js'))) throw new Error(`${BUILT_CLI}/cli.js is missing: run npm run build (npm run bench builds first)`);
  const version = gitVersion();
  mkdirSync(join(into, 'dist'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(into, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(into, 'node_modules'));
  const srcDir = join(into, 'dist', 'src');
  cpSync(BUILT_SRC, srcDir, { recursive: true });
  const cliDir = join(into, 'dist', 'cli');
  cpSync(BUILT_CLI, cliDir, { recursive: true });
  const native = existsSync(join(REPO, ADDON)) && process.env['ABSYNC_NO_NATIVE'] !== '1';
  if (native) cpSync(join(REPO, ADDON), join(into, ADDON));
  const scanner = native ? `native (${ADDON})` : 'JavaScript (native addon not built, or ABSYNC_NO_NATIVE=1)';
  return { srcDir, cli: join(cliDir, 'cli.js'), version, scanner };
}
