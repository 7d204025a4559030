/**
 * The import rules of DESIGN.md, checked by reading the import lines of src/. Each rule names the files it governs
 * and what they must not import; a rule that governs no file fails (a renamed folder must not make a rule pass on
 * nothing), and each rule is shown to catch a planted violation.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
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

/** Import specifiers of a file: static, re-exports and dynamic import(). */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) found.push(m[1] as string);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1] as string);
  return found;
}

interface SourceFile {
  /** Path relative to src/, `/`-separated. */
  readonly file: string;
  readonly imports: readonly string[];
  readonly text: string;
}

/** Where a relative import lands, relative to src/ (`engine/plan/keep.ts`); packages as they are. */
function target(from: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts');
}

interface Rule {
  readonly name: string;
  /** The files the rule governs. */
  readonly applies: (file: string) => boolean;
  /** A reason when an import (resolved: a src/-relative path, or a package name) breaks the rule. */
  readonly forbids: (imported: string, file: string) => string | undefined;
  /** Also checked against the file's text (clock, randomness). */
  readonly text?: (text: string) => string | undefined;
  /** A file name and an import line that break the rule, to show the rule catches it. */
  readonly planted: { readonly file: string; readonly line: string };
}

const FACE_PACKAGES = ['gulp', 'vinyl', 'through2', 'plugin-error', 'fancy-log', 'chokidar', 'glob-watcher', 'vinyl-fs', 'streamx'];
const FACES = ['cli', 'plugin', 'task', 'watch'];
const faceOf = (file: string): string | undefined => FACES.find((f) => file.startsWith(`${f}/`));
const inside = (file: string, dir: string): boolean => file.startsWith(`${dir}/`);

const RULES: readonly Rule[] = [
  {
    name: 'the engine imports no face, and no gulp, vinyl, stream, logging or watcher package',
    applies: (f) => inside(f, 'engine'),
    forbids: (t) => (FACE_PACKAGES.includes(t) ? `package ${t}` : !t.startsWith('engine/') && t.endsWith('.ts') ? `face code ${t}` : undefined),
    planted: { file: 'engine/sync.ts', line: "import log from 'fancy-log';" },
  },
  {
    name: 'the planner touches no file system, process, thread, backend, native code, scan or apply',
    applies: (f) => inside(f, 'engine/plan'),
    forbids: (t) => {
      if (/^(node:)?(fs|fs\/promises|child_process|worker_threads|crypto|os|net)$/.test(t)) return `module ${t}`;
      if (/^engine\/(backends|scan|apply)\//.test(t) || /^engine\/(hash|sync|roots|trace)\.ts$/.test(t)) return `engine code ${t}`;
      return undefined;
    },
    text: (text) => (/\b(Date\.now|new Date\(|Math\.random|performance\.now|process\.(env|hrtime|cwd))/.test(text) ? 'a clock, randomness or process state' : undefined),
    planted: { file: 'engine/plan/pair.ts', line: "import { lstat } from 'node:fs/promises';" },
  },
  {
    name: 'apply reaches trees only through the interface, and no planner or scan internals',
    applies: (f) => inside(f, 'engine/apply'),
    forbids: (t) => (/^engine\/(plan|scan)\//.test(t) ? `phase internals ${t}` : /^engine\/backends\/(?!tree\.ts$)/.test(t) ? `a backend ${t}` : undefined),
    planted: { file: 'engine/apply/apply-plan.ts', line: "import { orderActions } from '../plan/order.js';" },
  },
  {
    name: 'scan reaches trees only through the interface, and does not import apply or the planner',
    applies: (f) => inside(f, 'engine/scan'),
    forbids: (t) => (/^engine\/(apply|plan)\//.test(t) ? `phase internals ${t}` : /^engine\/backends\/(?!tree\.ts$)/.test(t) ? `a backend ${t}` : undefined),
    planted: { file: 'engine/scan/scan-trees.ts', line: "import { applyPlan } from '../apply/apply-plan.js';" },
  },
  {
    name: 'only sync.ts chooses a backend: other engine code outside backends/ uses the interface',
    applies: (f) => inside(f, 'engine') && !inside(f, 'engine/backends') && f !== 'engine/sync.ts' && f !== 'engine/index.ts',
    forbids: (t) => (/^engine\/backends\/(?!tree\.ts$)/.test(t) ? `a backend ${t}` : undefined),
    planted: { file: 'engine/hash.ts', line: "import { NativeTree } from './backends/local-native/native-tree.js';" },
  },
  {
    name: 'backends do not import the phases (plan, apply) or the run',
    applies: (f) => inside(f, 'engine/backends'),
    forbids: (t) => (/^engine\/(plan|apply)\//.test(t) || /^engine\/(sync|hash)\.ts$/.test(t) ? `engine phase ${t}` : undefined),
    planted: { file: 'engine/backends/choose.ts', line: "import { planMirror } from '../plan/plan-mirror.js';" },
  },
  {
    name: 'faces reach the engine only through src/engine/index.ts',
    applies: (f) => faceOf(f) !== undefined || inside(f, 'shared'),
    forbids: (t) => (t.startsWith('engine/') && t !== 'engine/index.ts' ? `engine internals ${t}` : undefined),
    planted: { file: 'cli/cli.ts', line: "import { runSync } from '../engine/sync.js';" },
  },
  {
    name: 'a face imports no other face (what two faces share lives in src/shared)',
    applies: (f) => faceOf(f) !== undefined || inside(f, 'shared'),
    forbids: (t, f) => {
      const face = FACES.find((x) => t.startsWith(`${x}/`));
      return face !== undefined && face !== faceOf(f) ? `the ${face} face (${t})` : undefined;
    },
    planted: { file: 'task/task.ts', line: "import { absync } from '../plugin/plugin.js';" },
  },
  {
    name: 'the package does not depend on gulp at run time',
    applies: () => true,
    forbids: (t) => (t === 'gulp' ? 'gulp' : undefined),
    planted: { file: 'plugin/plugin.ts', line: "import gulp from 'gulp';" },
  },
];

function violations(rule: Rule, file: SourceFile): string[] {
  const out: string[] = [];
  for (const spec of file.imports) {
    const why = rule.forbids(target(file.file, spec), file.file);
    if (why) out.push(`${file.file} imports ${spec}: ${why}`);
  }
  const t = rule.text?.(file.text);
  if (t) out.push(`${file.file} uses ${t}`);
  return out;
}

describe('architecture', () => {
  const files: SourceFile[] = sources(SRC).map((f) => {
    const text = readFileSync(f, 'utf8');
    return { file: relative(SRC, f).split('\\').join('/'), imports: importsOf(text), text };
  });

  it('finds four faces over one engine', () => {
    for (const dir of [...FACES, 'shared', 'engine/scan', 'engine/plan', 'engine/apply', 'engine/backends/local-native', 'engine/backends/local-js']) {
      assert.ok(files.some((f) => inside(f.file, dir)), `src/${dir} exists and holds code`);
    }
  });

  for (const rule of RULES) {
    it(rule.name, () => {
      const governed = files.filter((f) => rule.applies(f.file));
      assert.ok(governed.length > 0, 'the rule governs at least one file');
      assert.deepEqual(governed.flatMap((f) => violations(rule, f)), []);
      // The rule catches a planted violation in a file it governs.
      assert.ok(rule.applies(rule.planted.file), `${rule.planted.file} is governed by the rule`);
      const planted: SourceFile = { file: rule.planted.file, imports: importsOf(rule.planted.line), text: rule.planted.line };
      assert.ok(violations(rule, planted).length > 0, `planted: ${rule.planted.line}`);
    });
  }

  it('the package declares gulp only as a development dependency', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    assert.ok(!('gulp' in pkg.dependencies));
    assert.ok('gulp' in pkg.devDependencies);
  });
});
