/** Import rules from DESIGN.md, checked by reading the import lines of src/. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from './helpers/cli.js';

const SRC = join(REPO, 'src');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) found.push(m[1] as string);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1] as string);
  return found;
}

const FACE_PACKAGES = ['gulp', 'vinyl', 'through2', 'plugin-error', 'fancy-log', 'chokidar', 'glob-watcher', 'vinyl-fs', 'streamx'];

describe('architecture', () => {
  const files = sources(SRC).map((f) => ({ file: relative(SRC, f), imports: importsOf(f) }));

  it('finds the source files', () => {
    assert.ok(files.length > 20);
  });

  it('nothing under src/engine imports a face or a gulp/vinyl/logging/watcher package', () => {
    for (const { file, imports } of files.filter((f) => f.file.startsWith('engine/'))) {
      for (const spec of imports) {
        assert.ok(!FACE_PACKAGES.includes(spec), `${file} imports ${spec}`);
        // A relative import that climbs as many levels as the file is deep leaves src/engine (a face, or beyond).
        const depth = file.split('/').length - 1;
        const ups = (spec.match(/\.\.\//g) ?? []).length;
        assert.ok(!(spec.startsWith('.') && ups >= depth), `${file} reaches outside src/engine: ${spec}`);
      }
    }
  });

  it('nothing under src/engine/plan touches the file system or child processes', () => {
    for (const { file, imports } of files.filter((f) => f.file.startsWith('engine/plan/'))) {
      for (const spec of imports) {
        assert.ok(!/^(node:)?(fs|fs\/promises|child_process|worker_threads)$/.test(spec), `${file} imports ${spec}`);
        assert.ok(!/\/(apply|scan)\//.test(spec) && !/^\.\.\/(hash|lock|sync|roots)\.js$/.test(spec), `${file} imports ${spec}`);
      }
    }
  });

  it('faces reach the engine only through src/engine/index.ts', () => {
    for (const { file, imports } of files.filter((f) => !f.file.startsWith('engine/'))) {
      for (const spec of imports) {
        if (spec.includes('engine/')) assert.match(spec, /engine\/index\.js$/, `${file} imports ${spec}`);
      }
    }
  });

  it('the package does not depend on gulp at run time', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    assert.ok(!('gulp' in pkg.dependencies));
    assert.ok('gulp' in pkg.devDependencies);
    for (const { file, imports } of files) assert.ok(!imports.includes('gulp'), `${file} imports gulp`);
  });
});
