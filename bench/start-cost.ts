/**
 * `npm run bench:start`: what one start of the `absync` bin costs, on a no-change resync of the small set (20,000
 * files), against rsync in the same run: the CLI with and without `--progress`, with and without
 * NODE_EXTRA_CA_CERTS, and the bin as npm installs it on Linux and macOS (its first line switched to `#!/bin/sh` by
 * scripts/fast-start.mjs, so Node starts without the CA bundle). Optionally an older build (`--baseline DIR`, a
 * checkout with its own dist/cli) for "no slower than before". Tools alternate in a rotating order every round.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freezeCode, REPO } from './code.js';
import { generate } from './generate.js';
import { median } from './stats.js';
import { compareMeta, snapshot } from './verify.js';

interface Variant {
  readonly name: string;
  readonly cmd: string;
  readonly args: readonly string[];
  /** Start without NODE_EXTRA_CA_CERTS. */
  readonly noCa?: boolean;
}

function env(noCa: boolean | undefined): NodeJS.ProcessEnv {
  const e = { ...process.env };
  if (noCa) delete e['NODE_EXTRA_CA_CERTS'];
  return e;
}

function timeRun(v: Variant, src: string, dst: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(v.cmd, [...v.args, src, dst], { stdio: ['ignore', 'ignore', 'pipe'], env: env(v.noCa) });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`${v.name}: exit ${code}: ${err.trim().split('\n').slice(0, 3).join(' | ')}`));
      else resolve(ms);
    });
  });
}

/** rsync wants trailing slashes; the others take the folders as they are. */
function argsFor(v: Variant, src: string, dst: string): [string, string] {
  return v.cmd === 'rsync' ? [`${src}/`, `${dst}/`] : [src, dst];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, files: { type: 'string' }, dirs: { type: 'string' }, baseline: { type: 'string' }, keep: { type: 'boolean' } },
  });
  const rounds = Number(values.rounds ?? 15);
  const files = Number(values.files ?? 20_000);
  const dirs = Number(values.dirs ?? 2_000);
  const base = mkdtempSync(join(process.env['BENCH_DIR'] ?? tmpdir(), 'absync-start-'));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  try {
    const code = freezeCode(join(base, 'code'));
    // The bin as installed on Linux and macOS: the install step switches its first line to #!/bin/sh.
    const bin = join(base, 'code', 'dist', 'cli', 'cli.js');
    cpSync(join(REPO, 'scripts'), join(base, 'code', 'scripts'), { recursive: true });
    const switched = spawnSync(process.execPath, [join(base, 'code', 'scripts', 'fast-start.mjs')], { encoding: 'utf8' });
    if (switched.status !== 0) throw new Error(`fast-start: ${switched.stderr}`);
    const variants: Variant[] = [
      { name: 'rsync -a --delete', cmd: 'rsync', args: ['-a', '--delete'] },
      { name: 'node cli.js', cmd: process.execPath, args: [code.cli, '--quiet'] },
      { name: 'node cli.js --progress', cmd: process.execPath, args: [code.cli, '--quiet', '--progress'] },
      { name: 'node cli.js, no CA bundle', cmd: process.execPath, args: [code.cli, '--quiet'], noCa: true },
      { name: 'node cli.js --progress, no CA bundle', cmd: process.execPath, args: [code.cli, '--quiet', '--progress'], noCa: true },
      { name: 'bin as installed (#!/bin/sh)', cmd: bin, args: ['--quiet'] },
    ];
    if (values.baseline) {
      const old = join(base, 'baseline');
      cpSync(join(values.baseline, 'dist', 'cli'), join(old, 'dist', 'cli'), { recursive: true });
      cpSync(join(values.baseline, 'package.json'), join(old, 'package.json'));
      symlinkSync(join(REPO, 'node_modules'), join(old, 'node_modules'));
      if (existsSync(join(REPO, 'build'))) cpSync(join(REPO, 'build'), join(old, 'build'), { recursive: true });
      variants.splice(2, 0, { name: 'baseline: node cli.js', cmd: process.execPath, args: [join(old, 'dist', 'cli', 'cli.js'), '--quiet'] });
    }
    log(`start-cost: generating ${files} files in ${dirs} folders`);
    const src = join(base, 'src');
    generate(src, { kind: 'tree', files, dirs, maxSize: 16 << 10, symlinks: 10 }, 'absync');
    const dsts = variants.map((_, i) => join(base, `dst${i}`));
    const want = snapshot(src);
    // Every destination an exact mirror first (by rsync, then each tool's untimed warm-up run).
    for (const [i, v] of variants.entries()) {
      spawnSync('rsync', ['-a', '--delete', `${src}/`, `${dsts[i]}/`]);
      await timeRun(v, ...argsFor(v, src, dsts[i] as string));
    }
    const node0 = (noCa: boolean): number => {
      const t: number[] = [];
      for (let k = 0; k < 10; k++) {
        const t0 = performance.now();
        spawnSync(process.execPath, ['-e', '0'], { env: env(noCa) });
        t.push(performance.now() - t0);
      }
      return median(t) as number;
    };
    const samples = variants.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + r) % variants.length;
        const v = variants[i] as Variant;
        spawnSync('sync');
        (samples[i] as number[]).push(await timeRun(v, ...argsFor(v, src, dsts[i] as string)));
      }
      log(`start-cost: round ${r + 1}/${rounds}`);
    }
    for (const [i, v] of variants.entries()) {
      const diff = compareMeta(want, snapshot(dsts[i] as string));
      if (diff.length > 0) throw new Error(`${v.name}: destination differs: ${diff.slice(0, 3).join('; ')}`);
    }
    const rsync = median(samples[0] as number[]) as number;
    const rows = variants.map((v, i) => {
      const m = median(samples[i] as number[]) as number;
      return `| ${v.name} | ${m.toFixed(0)} ms | ${(m / rsync).toFixed(2)} |`;
    });
    const ca = process.env['NODE_EXTRA_CA_CERTS'] ? 'set' : 'not set';
    process.stdout.write([
      `no-change resync, ${files} files in ${dirs} folders, ${rounds} rounds (medians); NODE_EXTRA_CA_CERTS ${ca}; `
        + `node -e 0: ${node0(false).toFixed(0)} ms, ${node0(true).toFixed(0)} ms without it; engine ${code.scanner}; ${code.version}`,
      '',
      '| run | median | / rsync |',
      '| --- | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'));
  } finally {
    if (!values.keep) rmSync(base, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`start-cost: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
