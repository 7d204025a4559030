/**
 * The order apply keeps (apply-plan.ts): new folders depth by depth and the writes into them as one stage, each call
 * started once its own folder is made, not once every folder is. Watched on the real trees a run uses, through a
 * wrapper that records when each destination call starts and ends.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyPlan } from '../../src/engine/apply/apply-plan.js';
import { openTrees } from '../../src/engine/backends/choose.js';
import type { DestinationTree } from '../../src/engine/backends/tree.js';
import { resolveOptions } from '../../src/engine/options.js';
import { scanTrees } from '../../src/engine/scan/scan-trees.js';
import { makePlan } from '../../src/engine/sync.js';
import type { Outcome } from '../../src/engine/types.js';
import { assertMirror, MTIME_SLOP_US, tmp, writeTree } from '../helpers/tree.js';

interface CallLog {
  readonly op: string;
  readonly parent: string;
  readonly names: string[];
  readonly start: number;
  end: number;
}

/** `tree` with each makeDirs, writeFiles and setAttrs call logged (a counter, not a clock: starts and ends in order). */
function logged(tree: DestinationTree, log: CallLog[]): DestinationTree {
  let tick = 0;
  return new Proxy(tree, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if ((key !== 'makeDirs' && key !== 'writeFiles' && key !== 'setAttrs') || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (parent: string, items: { name: string }[], ...rest: unknown[]) => {
        const entry: CallLog = { op: key, parent, names: items.map((i) => i.name), start: tick++, end: -1 };
        log.push(entry);
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).call(target, parent, items, ...rest);
        } finally {
          entry.end = tick++;
        }
      };
    },
  });
}

async function firstCopy(src: string, dst: string, before: () => void = () => undefined): Promise<{ log: CallLog[]; outcomes: Outcome[] }> {
  const options = resolveOptions({ source: src, destination: dst });
  const trees = openTrees({ source: src, destination: dst });
  const log: CallLog[] = [];
  try {
    const { source, destination } = await scanTrees(trees.source, trees.destination, { rules: { exclude: [], include: [] }, omitUnchanged: false, compareModes: true });
    const plan = await makePlan(options, source, destination, undefined, trees);
    before();
    const outcomes = await applyPlan({ source: trees.source, destination: logged(trees.destination, log), snapshot: source }, plan, 4);
    return { log, outcomes };
  } finally {
    await trees.source.close();
    await trees.destination.close();
  }
}

/** Ten top folders, each with two levels below, a file in every folder. */
function deepTree(): string {
  const spec: Record<string, string> = {};
  for (let t = 0; t < 10; t++) for (const p of [`t${t}`, `t${t}/m`, `t${t}/m/d`]) spec[`${p}/f.txt`] = `${p} file\n`;
  return writeTree(tmp(), spec);
}

describe('apply: folders, then the writes into them', () => {
  it('a call into a new folder starts only after that folder is made, and writes begin before the deepest folders are', async () => {
    const src = deepTree();
    const dst = join(tmp(), 'dst');
    mkdirSync(dst);
    const { log, outcomes } = await firstCopy(src, dst);
    assert.deepEqual(outcomes.filter((o) => o.status !== 'done').map((o) => `${o.action.op} ${o.action.path} ${o.status}`), []);
    assertMirror(src, dst);
    const madeAt = new Map<string, number>();
    for (const c of log) if (c.op === 'makeDirs') for (const n of c.names) madeAt.set(c.parent === '' ? n : `${c.parent}/${n}`, c.end);
    for (const c of log) {
      const made = madeAt.get(c.parent);
      if (made !== undefined) assert.ok(c.start > made, `${c.op} in ${c.parent} started (${c.start}) before the folder was made (${made})`);
    }
    const lastMkdirEnd = Math.max(...log.filter((c) => c.op === 'makeDirs').map((c) => c.end));
    const firstWrite = Math.min(...log.filter((c) => c.op === 'writeFiles').map((c) => c.start));
    assert.ok(firstWrite < lastMkdirEnd, `the first write (${firstWrite}) waited for the last folder (${lastMkdirEnd})`);
  });

  it('a folder\'s own mode and mtime are set once everything inside it is done, deepest first, while other folders are still written', async () => {
    const src = deepTree();
    // Read-only folders at each depth: their children must be in before their mode is set.
    for (let t = 0; t < 10; t += 3) for (const p of [`t${t}/m/d`, `t${t}/m`, `t${t}`]) chmodSync(join(src, p), t === 0 ? 0o500 : 0o555);
    for (let t = 0; t < 10; t++) for (const p of [`t${t}/m/d`, `t${t}/m`, `t${t}`]) utimesSync(join(src, p), 1_600_000_000.25, 1_600_000_000.25 + t);
    const dst = join(tmp(), 'dst');
    mkdirSync(dst);
    const { log, outcomes } = await firstCopy(src, dst);
    assert.deepEqual(outcomes.filter((o) => o.status !== 'done').map((o) => `${o.action.op} ${o.action.path} ${o.status}`), []);
    assertMirror(src, dst);
    for (let t = 0; t < 10; t++) {
      for (const p of [`t${t}/m/d`, `t${t}/m`, `t${t}`]) {
        assert.equal(statSync(join(dst, p)).mode & 0o7777, statSync(join(src, p)).mode & 0o7777, p);
        const us = (f: string): bigint => statSync(f, { bigint: true }).mtimeNs / 1000n;
        const off = us(join(dst, p)) - us(join(src, p));
        assert.ok(off <= BigInt(MTIME_SLOP_US) && -off <= BigInt(MTIME_SLOP_US), `${p}: mtime ${off} us off`);
      }
    }
    const pathsOf = (c: CallLog): string[] => c.names.map((n) => (c.parent === '' ? n : `${c.parent}/${n}`));
    for (const c of log.filter((x) => x.op === 'setAttrs')) {
      for (const folder of pathsOf(c)) {
        for (const other of log) {
          const inside = other !== c && (other.parent === folder || (other.op === 'makeDirs' && pathsOf(other).includes(folder)));
          if (inside) assert.ok(other.end < c.start, `attributes of ${folder} (start ${c.start}) before ${other.op} in ${other.parent} ended (${other.end})`);
        }
      }
    }
    const firstAttrs = Math.min(...log.filter((c) => c.op === 'setAttrs').map((c) => c.start));
    const lastWrite = Math.max(...log.filter((c) => c.op === 'writeFiles').map((c) => c.end));
    assert.ok(firstAttrs < lastWrite, `the first folder's attributes (${firstAttrs}) waited for the last write (${lastWrite})`);
  });

  it('a folder that cannot be made (a file is there since the scan) fails its own writes and its subfolders; everything else is written', async () => {
    const src = deepTree();
    const dst = join(tmp(), 'dst');
    mkdirSync(dst);
    const { outcomes } = await firstCopy(src, dst, () => {
      mkdirSync(join(dst, 't3'));
      writeFileSync(join(dst, 't3', 'm'), 'someone else\'s file');
    });
    const bad = outcomes.filter((o) => o.status !== 'done').map((o) => o.action.path).sort();
    assert.ok(bad.includes('t3/m') && bad.every((p) => p.startsWith('t3/m')), bad.join(', '));
    assert.equal(readFileSync(join(dst, 't3/m'), 'utf8'), 'someone else\'s file');
    assert.equal(readFileSync(join(dst, 't3/f.txt'), 'utf8'), 't3 file\n');
    for (let t = 0; t < 10; t++) {
      if (t === 3) continue;
      assert.equal(readFileSync(join(dst, `t${t}/m/d/f.txt`), 'utf8'), `t${t}/m/d file\n`);
    }
  });
});
