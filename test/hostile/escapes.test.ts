/**
 * Issue 11, class 1: nothing is written, deleted, moved or chmodded outside the destination, whatever another
 * account does inside it (symlinks in the backup folder, folder <-> symlink swaps during a run, links planted at
 * temporary names) and however the roots are named (symlink aliases). Each case aims at an outside canary tree and
 * asserts it is byte-identical afterwards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { describe } from 'node:test';
import { readTree, tmp, writeTree, type TreeSpec } from '../helpers/tree.js';
import { canarySpec, contentHash, contentHashes, makeCanary } from './helpers/canary.js';
import { remember } from './helpers/disk.js';
import { bothEngines, type Engine, type Todos } from './helpers/engines.js';
import { racerBinary, runWhileSwapping, startRacer, type RaceFrom } from './helpers/racer.js';
import { assertHonest, assertRefused, bounded, runBin, shown, type Bounded } from './helpers/run.js';
import { CLI, REPO } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

const noRacer = racerBinary().why;
const T_ = 'issue 11: escapes: fails today on';

/** Todo reasons for a case that fails today on both engines. */
function onBoth(native: string, js: string): Todos {
  return { native: `${T_} native: ${native}`, js: `${T_} js: ${js}` };
}

/** n file names in a folder: f0000, f0001, ... */
function names(n: number, prefix = 'f'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
}

/** A spec of files `${dir}/${name}` for each name. */
function files(dir: string, list: readonly string[], make: (name: string) => TreeSpec[string]): TreeSpec {
  return Object.fromEntries(list.map((n) => [`${dir}/${n}`, make(n)]));
}

/** True when a file somewhere under `root` (not behind a symlink) holds exactly `content`. */
function holdsContent(root: string, content: string): boolean {
  return contentHashes(readTree(root)).has(contentHash(content));
}

describe('issue 11 escapes: the backup folder is a second destination, never followed through a link', () => {
  for (const op of ['delete', 'update'] as const) {
    const todos: Todos = {};
    bothEngines(`--backup-dir .bak with d/.bak/sub -> outside: a run that must ${op} sub/victim.txt leaves outside alone`, todos, async (engine) => {
      const root = tmp();
      const canary = makeCanary(root);
      const src = writeTree(join(root, 'src'), { 'keep.txt': 'k', ...(op === 'update' ? { 'sub/victim.txt': 'the new version from the source' } : { 'sub/': { dir: true } }) });
      const old = `the destination's old victim.txt (${op})`;
      const dst = writeTree(join(root, 'dst'), { 'keep.txt': 'k', 'sub/victim.txt': old, '.bak/sub': { link: canary.dir } });
      const r = await runBin(engine, [src, dst, '--backup-dir', '.bak']);
      assertHonest(r);
      canary.assertUntouched();
      assert.ok(holdsContent(dst, old), `the old victim.txt is kept somewhere in the destination (backup or in place)\n${shown(r)}`);
    });
  }
});

describe('issue 11 escapes: a backup folder reached through a link planted in the destination', () => {
  // Another account that can write into the destination plants d/.bak (or a folder on the way to it) as a link.
  for (const [how, planted, arg] of [
    ['--backup-dir .bak, d/.bak -> outside', '.bak', (_dst: string) => '.bak'],
    ['--backup-dir <d>/.bak/old (absolute), d/.bak -> outside', '.bak', (dst: string) => join(dst, '.bak', 'old')],
  ] as const) {
    bothEngines(`${how}: refused, naming the link; nothing outside or in the destination changes`, {}, async (engine) => {
      const root = tmp();
      const canary = makeCanary(root);
      const src = writeTree(join(root, 'src'), { 'keep.txt': 'k' });
      const dst = writeTree(join(root, 'dst'), { 'keep.txt': 'k', 'victim.txt': 'the destination\'s file, deleted by the run' });
      symlinkSync(canary.dir, join(dst, planted));
      const unchanged = remember(dst);
      const r = await runBin(engine, [src, dst, '--backup-dir', arg(dst)]);
      assertRefused(r, /symlink/);
      assert.match(r.stderr, /\.bak/, shown(r));
      canary.assertUntouched();
      unchanged();
    });
  }
});

/** A folder `d/a` and a link to the outside canary that the racer exchanges during the run, for one kind of step. */
interface SwapCase {
  readonly name: string;
  readonly src: TreeSpec;
  readonly dst: TreeSpec;
  readonly args?: readonly string[];
  /** The folder the racer swaps (default a). */
  readonly raced?: string;
  readonly todos?: Partial<Record<RaceFrom, Todos>>;
}

const N = 220;
const inDst = names(N);
const same = (n: string): TreeSpec[string] => ({ data: `destination ${n}\n`, mode: 0o600, mtime: 1_500_000_000 });
const withMode = (n: string, mode: number): TreeSpec[string] => ({ data: `destination ${n}\n`, mode, mtime: 1_500_000_000 });
const swapCases: SwapCase[] = [
  {
    name: 'deletes',
    src: { 'keep.txt': 'k', 'a/': { dir: true } },
    dst: files('a', inDst, same),
    args: ['--allow-empty-source'],
  },
  {
    name: 'creates',
    src: { 'keep.txt': 'k', ...files('a', names(N, 'n'), (n) => `source ${n}\n`) },
    dst: { 'a/': { dir: true } },
  },
  {
    name: 'updates',
    src: { 'keep.txt': 'k', ...files('a', inDst, (n) => `source, longer: ${n}\n`) },
    dst: files('a', inDst, same),
  },
  {
    name: 'chmods (attributes)',
    src: { 'keep.txt': 'k', ...files('a', inDst, (n) => withMode(n, 0o644)) },
    dst: files('a', inDst, same),
  },
  {
    name: 'moves files (renames)',
    src: { 'keep.txt': 'k', ...files('a', names(N, 'm'), (n) => same(`f${n.slice(1)}`)) },
    dst: files('a', inDst, same),
  },
  {
    // The racer swaps b, the folder's new name, as soon as the rename has made it (then the mode changes in b/ follow).
    name: 'moves a folder',
    src: { 'keep.txt': 'k', ...files('b', inDst, (n) => withMode(n, 0o640)) },
    dst: files('a', inDst, same),
    raced: 'b',
  },
  {
    name: 'backs up',
    src: { 'keep.txt': 'k', 'a/': { dir: true } },
    dst: files('a', inDst, same),
    args: ['--allow-empty-source', '--backup-dir', '../bak'],
  },
];

describe('issue 11 escapes: a folder <-> symlink swap loop during the run', { skip: noRacer }, () => {
  const runs: [SwapCase, RaceFrom][] = [
    ...swapCases.map((c): [SwapCase, RaceFrom] => [c, 'after-scan']),
    // Racing the destination's scan too (the scan may see either the folder or the link).
    ...swapCases.filter((c) => c.name === 'creates').map((c): [SwapCase, RaceFrom] => [c, 'start']),
  ];
  for (const [c, from] of runs) {
    const when = from === 'start' ? 'from the start of the run (scan included)' : 'once the scan is over';
    bothEngines(`d/a swapped with a link to outside in a tight loop ${when}, while the run ${c.name}`, c.todos?.[from] ?? {}, async (engine) => {
      const root = tmp();
      // The canary holds the same names as d/a, so a delete, update, chmod or rename through the link hits them.
      const canary = makeCanary(root, canarySpec(inDst));
      const src = writeTree(join(root, 'src'), c.src);
      const dst = writeTree(join(root, 'dst'), c.dst);
      symlinkSync(canary.dir, join(root, 'lnk'));
      mkdirSync(join(root, 'bak'));
      const r = await runWhileSwapping(engine, [src, dst, ...(c.args ?? [])], [[join(dst, c.raced ?? 'a'), join(root, 'lnk')]], from);
      assertHonest(r);
      canary.assertUntouched(`a run that ${c.name}`);
    });
  }
});

describe('issue 11 escapes: one swap of an ancestor after the run started', { skip: noRacer }, () => {
  const todos: Todos = {};
  bothEngines('d/deep swapped once for a link to outside as soon as the first file lands in it: no file, link or chmod outside', todos, async (engine) => {
    const root = tmp();
    const canary = makeCanary(root);
    const src = writeTree(join(root, 'src'), {
      ...files('deep', names(1000), (n) => `source ${n}\n`),
      'deep/zz-link': { link: 'victim.txt' },
      'deep/victim.txt': { data: 'source victim\n', mode: 0o644 },
      'deep/': { dir: true, mode: 0o700 },
    });
    const dst = writeTree(join(root, 'dst'), { 'deep/': { dir: true } });
    symlinkSync(canary.dir, join(root, 'lnk'));
    const racer = await startRacer(['on-entry', join(dst, 'deep'), 'swap', join(dst, 'deep'), join(root, 'lnk')]);
    let r;
    try {
      r = await runBin(engine, [src, dst]);
    } finally {
      await racer.stop();
    }
    assertHonest(r);
    canary.assertUntouched('a run whose folder was swapped under it');
  });
});

describe('issue 11 escapes: links planted at the temporary names an attacker can predict', () => {
  const todos: Todos = {};
  bothEngines('symlinks planted at .absync-tmp.<pid base36>.<n> (pid read from the lock file) are never written through', todos, async (engine) => {
    const root = tmp();
    const canary = makeCanary(root);
    const src = writeTree(join(root, 'src'), files('.', names(600), (n) => `source ${n} ${'x'.repeat(4000)}\n`));
    const dst = join(root, 'dst');
    mkdirSync(dst);
    let planted = 0;
    let done = false;
    const run = runBin(engine, [src, dst]).finally(() => (done = true));
    // The attacker: read the run's pid from its lock, then keep links at the next names, to a file and to a new path.
    let tag: string | undefined;
    while (!done) {
      if (tag === undefined) {
        try {
          tag = (JSON.parse(readFileSync(join(dst, '.absync.lock'), 'utf8')) as { pid: number }).pid.toString(36);
        } catch {
          /* not there yet, or being written */
        }
      } else {
        for (let n = 0; n < 800; n++) {
          try {
            symlinkSync(n % 2 ? join(canary.dir, 'victim.txt') : join(canary.dir, `planted-${n}`), join(dst, `.absync-tmp.${tag}.${n.toString(36)}`));
            planted++;
          } catch {
            /* already there */
          }
        }
      }
      await tick();
    }
    const r = await run;
    assert.ok(tag !== undefined, 'the attacker read the pid from the lock file');
    assert.ok(planted > 0, 'links were planted');
    assertHonest(r);
    canary.assertUntouched('a run with links planted at its temporary names');
  });
});

describe('issue 11 escapes: roots named through symlinks are compared by their real paths', () => {
  bothEngines('a backup folder inside the source, named through a symlink alias, is refused and nothing is written into the source', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'keep.txt': 'k' });
    const dst = writeTree(join(root, 'dst'), { 'keep.txt': 'k', 'extra.txt': 'to delete (and back up)' });
    symlinkSync(src, join(root, 'alias'));
    const srcBefore = readTree(src);
    const dstUnchanged = remember(dst);
    const r = await runBin(engine, [src, dst, '--backup-dir', join(root, 'alias', 'bak')]);
    assertRefused(r, /backup/);
    assert.deepEqual(readTree(src), srcBefore, 'nothing was written into the source');
    dstUnchanged();
  });

  bothEngines('a destination named through a symlink with a relative --backup-dir: no .bak/.bak nesting, and the backup is left out of the mirror', {}, async (engine) => {
    const root = tmp();
    const src = join(root, 'src');
    const dst = join(root, 'dst');
    mkdirSync(dst);
    symlinkSync(dst, join(root, 'dst-link'));
    for (let run = 1; run <= 3; run++) {
      writeTree(src, { [`f${run}.txt`]: `run ${run}` });
      if (run > 1) writeTree(src, { [`f${run - 1}.txt`]: `run ${run - 1}, changed` });
      const r = await runBin(engine, [src, join(root, 'dst-link'), '--backup-dir', '.bak']);
      assertHonest(r);
      assert.equal(r.code, 0, shown(r));
    }
    assert.ok(!existsSync(join(dst, '.bak', '.bak')), `no nested backup: ${JSON.stringify(Object.keys(readTree(dst)))}`);
    assert.equal(readFileSync(join(dst, '.bak', 'f1.txt'), 'utf8'), 'run 1', 'run 2 backed up f1.txt, and run 3 kept it');
    assert.equal(readFileSync(join(dst, '.bak', 'f2.txt'), 'utf8'), 'run 2', 'run 3 backed up f2.txt');
  });

  bothEngines('a log file named through a symlink into the destination is not deleted by the runs', {}, async (engine) => {
    const root = tmp();
    const canary = makeCanary(root);
    const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
    const dst = join(root, 'dst');
    mkdirSync(dst);
    symlinkSync(dst, join(root, 'logs'));
    const log = join(root, 'logs', 'absync.log');
    for (let run = 1; run <= 2; run++) {
      writeTree(src, { [`f${run}.txt`]: `run ${run}` });
      const r = await runBin(engine, [src, dst, log]);
      assertHonest(r);
      assert.equal(r.code, 0, shown(r));
    }
    assert.ok(lstatSync(join(dst, 'absync.log')).isFile(), 'the log file is still there');
    const lines = readFileSync(join(dst, 'absync.log'), 'utf8').split('\n').filter((l) => /copied/.test(l));
    assert.equal(lines.length, 2, `both runs logged their summary in one log, found ${lines.length} (the log was deleted by a run)`);
    canary.assertUntouched();
  });
});

describe('issue 11 escapes: roots whose names start with two dots are inside, not above', () => {
  // path.relative('/d', '/d/..src') is '..src': a folder inside, which a check for a leading '..' took for one above.
  bothEngines('a source d/..src inside the destination d is refused, and the source is untouched', {}, async (engine) => {
    const root = tmp();
    const dst = writeTree(join(root, 'd'), { '..src/a.txt': 'the only copy', 'other.txt': 'o' });
    const src = join(dst, '..src');
    const before = readTree(dst);
    const r = await runBin(engine, [src, dst]);
    assertRefused(r, /inside/);
    assert.deepEqual(readTree(dst), before, 'nothing changed, the source least of all');
  });

  bothEngines('a destination s/..d inside the source s is refused, and nothing is made', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 's'), { 'a.txt': 'a' });
    const r = await runBin(engine, [src, join(src, '..d')]);
    assertRefused(r, /inside/);
    assert.deepEqual(Object.keys(readTree(src)), ['a.txt'], 'no destination made inside the source');
  });

  bothEngines('--backup-dir ..bak (inside the destination) is left out of the mirror: a second run keeps the backup', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'keep.txt': 'k' });
    const dst = writeTree(join(root, 'dst'), { 'keep.txt': 'k', 'old.txt': 'the old file' });
    for (let run = 1; run <= 2; run++) {
      const r = await runBin(engine, [src, dst, '--backup-dir', '..bak']);
      assertHonest(r);
      assert.equal(r.code, 0, shown(r));
    }
    assert.equal(readFileSync(join(dst, '..bak', 'old.txt'), 'utf8'), 'the old file', 'the backup is still there after the second run');
    assert.ok(!existsSync(join(dst, '..bak', '..bak')), 'no nested backup');
  });
});

describe('issue 11 escapes: a log file in a folder other accounts can write is never written through a link', () => {
  /** Runs the bin in interval mode (1 s, -v: a line per run) and calls `attack` once the log has its first line. */
  async function intervalRun(engine: Engine, args: readonly string[], log: string, attack: () => void): Promise<Bounded> {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: engine.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ended = bounded(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => existsSync(log) && /synced/.test(readFileSync(log, 'utf8')), 'the first run\'s log line', 15_000);
    attack();
    const runs = out.split('\n').filter((l) => /synced/.test(l)).length;
    await until(() => out.split('\n').filter((l) => /synced/.test(l)).length >= runs + 2, 'two more runs', 15_000);
    child.kill('SIGTERM');
    return ended;
  }

  bothEngines('the log in the destination replaced by a link to an outside file between runs: nothing is written there', {}, async (engine) => {
    const root = tmp();
    const canary = makeCanary(root);
    const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
    const dst = join(root, 'dst');
    const log = join(dst, 'absync.log');
    const r = await intervalRun(engine, [src, dst, '1', log, '-v'], log, () => {
      rmSync(log);
      symlinkSync(join(canary.dir, 'victim.txt'), log);
    });
    assert.equal(r.hung, false, shown(r));
    canary.assertUntouched('an interval run whose log was replaced by a link');
  });

  bothEngines('the log\'s folder in the destination replaced by a link to an outside folder between runs: nothing is written there', {}, async (engine) => {
    const root = tmp();
    const canary = makeCanary(root);
    const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
    const dst = join(root, 'dst');
    const log = join(dst, 'logs', 'absync.log');
    const r = await intervalRun(engine, [src, dst, '1', log, '-v', '--mkpath'], log, () => {
      renameSync(join(dst, 'logs'), join(root, 'old-logs'));
      symlinkSync(canary.dir, join(dst, 'logs'));
    });
    assert.equal(r.hung, false, shown(r));
    canary.assertUntouched('an interval run whose log folder was replaced by a link');
  });

  bothEngines('a log named by a link planted before the run: refused, naming it, nothing written through it', {}, async (engine) => {
    const root = tmp();
    const canary = makeCanary(root);
    const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
    const dst = writeTree(join(root, 'dst'), { 'a.txt': 'a' });
    symlinkSync(join(canary.dir, 'victim.txt'), join(dst, 'absync.log'));
    const r = await runBin(engine, [src, dst, join(dst, 'absync.log')]);
    assertRefused(r, /absync\.log.*symlink/);
    canary.assertUntouched();
  });
});
