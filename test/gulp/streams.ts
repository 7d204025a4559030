/** Helpers for driving the plugin with real streams: vinyl files in, files (or an error) out. */
import { spawn, spawnSync } from 'node:child_process';
import { join, sep } from 'node:path';
import { Readable } from 'node:stream';
import Vinyl from 'vinyl';
import { REPO } from '../helpers/cli.js';
import { absync, type PluginOptions, type FileReport } from '../../src/index.js';

export type Out = Vinyl & { absync?: FileReport };

/** Everything a stream emits until 'end'; rejects with its first error. Reading it makes the test the reader. */
export function collect(stream: NodeJS.ReadableStream): Promise<Out[]> {
  return new Promise((resolve, reject) => {
    const out: Out[] = [];
    stream.on('data', (f: Out) => out.push(f));
    stream.once('error', reject);
    stream.once('end', () => resolve(out));
  });
}

/** Pipes `files` through absync(dest, options) and collects the output. */
export function mirror(files: readonly Vinyl[] | NodeJS.ReadableStream, dest: string, options?: PluginOptions): Promise<Out[]> {
  const input = Array.isArray(files) ? Readable.from(files, { objectMode: true }) : (files as NodeJS.ReadableStream);
  const plugin = absync(dest, options);
  input.on('error', (err: Error) => plugin.destroy(err));
  return collect(input.pipe(plugin));
}

/** A vinyl file under `base` with Buffer, stream or null contents. */
export function vinyl(base: string, rel: string, contents: Buffer | Readable | null, stat?: Partial<import('node:fs').Stats>): Vinyl {
  return new Vinyl({ cwd: base, base, path: join(base, rel), contents, ...(stat ? { stat: stat as import('node:fs').Stats } : {}) });
}

/** A file's relative path with `/` (vinyl's `relative` uses `\\` on Windows). */
export function rel(file: Vinyl): string {
  return file.relative.split(sep).join('/');
}

/** relative path (`/`-separated) -> action, for the files that came out. */
export function actions(files: readonly Out[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [rel(f), f.absync?.action ?? 'untagged']));
}

/** gulp's own command line (node_modules/gulp/bin/gulp.js), as `npx gulp` runs it. */
export const GULP = join(REPO, 'node_modules', 'gulp', 'bin', 'gulp.js');

export interface GulpResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function gulpSync(args: readonly string[], env: NodeJS.ProcessEnv = {}): GulpResult {
  const r = spawnSync(process.execPath, [GULP, '--no-color', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function gulpAsync(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [GULP, '--no-color', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
