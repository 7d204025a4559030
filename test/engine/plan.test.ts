/** The planner, without a disk: named cases and generated trees. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hashNeeds } from '../../src/engine/plan/hash-needs.js';
import { planMirror, type PlanRules } from '../../src/engine/plan/plan-mirror.js';
import { simulate } from '../helpers/simulate.js';
import { entryCount, omitUnchanged } from '../../src/engine/plan/omit-unchanged.js';
import { depthOf } from '../../src/engine/paths.js';
import type { Action, DigestPair, RelPath, Snapshot } from '../../src/engine/types.js';
import { describeSim, digestOf, type GenNode, toSim, toSnapshot, treeArb } from '../helpers/arbitraries.js';

const QUICK: PlanRules = { checksum: false, delete: true, detectRenames: true };
const CHECKSUM: PlanRules = { checksum: true, delete: true, detectRenames: true };

type Spec = Record<string, Partial<GenNode> & { kind?: GenNode['kind'] }>;
function tree(spec: Spec): Map<RelPath, GenNode> {
  const t = new Map<RelPath, GenNode>();
  for (const [p, n] of Object.entries(spec)) {
    t.set(p, { kind: n.kind ?? 'file', token: n.token ?? 'x', mode: n.mode ?? 0o644, mtime: n.mtime ?? 1000, target: n.target ?? 't' });
  }
  return t;
}

/** Digests for exactly the paths hashNeeds asked about, from the content tokens. */
function digestsFor(src: Map<RelPath, GenNode>, dst: Map<RelPath, GenNode>, s: Snapshot, d: Snapshot, rules: PlanRules) {
  const needs = hashNeeds(s, d, rules);
  const digests = new Map<RelPath, DigestPair>();
  for (const [p, w] of needs) {
    digests.set(p, {
      ...(w.source ? { source: digestOf((src.get(p) as GenNode).token) } : {}),
      ...(w.destination ? { destination: digestOf((dst.get(p) as GenNode).token) } : {}),
    });
  }
  return { needs, digests };
}

function plan(src: Map<RelPath, GenNode>, dst: Map<RelPath, GenNode>, rules: PlanRules = QUICK) {
  const s = toSnapshot('/src', src);
  const d = toSnapshot('/dst', dst);
  const { needs, digests } = digestsFor(src, dst, s, d, rules);
  const p = planMirror({ source: s, destination: d, digests }, rules);
  const result = simulate(p, toSim(d, dst), (path) => (src.get(path) as GenNode).token);
  return { plan: p, needs, result, expected: describeSim(toSim(s, src)) };
}

const ops = (actions: readonly Action[]): string[] =>
  actions.filter((a) => a.op !== 'setAttrs').map((a) => {
    if (a.op === 'rename') return `rename ${a.from}>${a.path}`;
    if (a.op === 'stage') return `stage ${a.path}#${a.slot}`;
    if (a.op === 'unstage') return `unstage #${a.slot}>${a.path}`;
    return `${a.op} ${a.path}`;
  });

describe('planMirror: named cases', () => {
  const cases: { name: string; src: Spec; dst: Spec; rules?: PlanRules; ops: string[] }[] = [
    { name: 'identical trees need nothing', src: { a: {}, d: { kind: 'dir' }, 'd/b': {} }, dst: { a: {}, d: { kind: 'dir' }, 'd/b': {} }, ops: [] },
    { name: 'missing file is copied', src: { a: {} }, dst: {}, ops: ['copy a'] },
    { name: 'extra file is deleted', src: {}, dst: { a: {} }, ops: ['delete a'] },
    { name: 'size change is an update', src: { a: { token: 'yy' } }, dst: { a: { token: 'x' } }, ops: ['update a'] },
    { name: 'mtime change is an update (quick check)', src: { a: { mtime: 2000 } }, dst: { a: { mtime: 1000 } }, ops: ['update a'] },
    { name: 'same size and mtime, other content: missed by the quick check', src: { a: { token: 'y' } }, dst: { a: { token: 'x' } }, ops: [] },
    { name: 'same size and mtime, other content: found by checksum', src: { a: { token: 'y' } }, dst: { a: { token: 'x' } }, rules: CHECKSUM, ops: ['update a'] },
    { name: 'mode change only sets attributes', src: { a: { mode: 0o755 } }, dst: { a: { mode: 0o644 } }, ops: [] },
    { name: 'file replaced by a folder', src: { a: { kind: 'dir' }, 'a/b': { token: 'yy' } }, dst: { a: {} }, ops: ['delete a', 'mkdir a', 'copy a/b'] },
    { name: 'folder replaced by a file: children first', src: { a: {} }, dst: { a: { kind: 'dir' }, 'a/b': { token: 'q' }, 'a/c': { kind: 'dir' } }, ops: ['delete a/b', 'delete a/c', 'delete a', 'copy a'] },
    { name: 'symlink where the source has a folder is replaced, not written through', src: { a: { kind: 'dir' }, 'a/f': {} }, dst: { a: { kind: 'symlink', target: '/etc' } }, ops: ['delete a', 'mkdir a', 'copy a/f'] },
    { name: 'changed link target', src: { l: { kind: 'symlink', target: 'x' } }, dst: { l: { kind: 'symlink', target: 'y' } }, ops: ['symlink l'] },
    { name: 'renamed file becomes a move', src: { b: { token: 'vvv' } }, dst: { a: { token: 'vvv' } }, ops: ['stage a#0', 'unstage #0>b'] },
    { name: 'renamed file with other content is copied', src: { b: { token: 'vvv' } }, dst: { a: { token: 'www' } }, rules: CHECKSUM, ops: ['delete a', 'copy b'] },
    {
      name: 'swapped files are staged through temporary names',
      src: { a: { token: 'www', mtime: 2000 }, b: { token: 'vvv', mtime: 3000 } },
      dst: { a: { token: 'vvv', mtime: 3000 }, b: { token: 'www', mtime: 2000 } },
      ops: ['stage b#0', 'stage a#1', 'unstage #0>a', 'unstage #1>b'],
    },
    {
      name: 'renamed folder is one move',
      src: { n: { kind: 'dir' }, 'n/f1': { token: 'abc' }, 'n/f2': { token: 'defg' }, 'n/s': { kind: 'dir' }, 'n/s/f3': { token: 'hij' } },
      dst: { o: { kind: 'dir' }, 'o/f1': { token: 'abc' }, 'o/f2': { token: 'defg' }, 'o/s': { kind: 'dir' }, 'o/s/f3': { token: 'hij' } },
      ops: ['rename o>n'],
    },
    { name: 'no delete when delete is off', src: {}, dst: { a: {} }, rules: { ...QUICK, delete: false }, ops: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const rules = c.rules ?? QUICK;
      const { plan: p, result, expected } = plan(tree(c.src), tree(c.dst), rules);
      assert.deepEqual(ops(p.actions), c.ops);
      if (rules.delete && !c.name.includes('missed')) assert.deepEqual(describeSim(result), expected);
    });
  }

  it('checksum mode hashes only same-size pairs; a size change is never hashed', () => {
    const s = toSnapshot('/s', tree({ same: { token: 'xy' }, grown: { token: 'xyz' } }));
    const d = toSnapshot('/d', tree({ same: { token: 'ab' }, grown: { token: 'ab' } }));
    const needs = hashNeeds(s, d, { checksum: true, detectRenames: false });
    assert.deepEqual([...needs.keys()], ['same']);
  });

  it('the quick check hashes nothing when nothing moved', () => {
    const t = tree({ a: { token: 'x' }, b: { token: 'yy', mtime: 5 } });
    const u = tree({ a: { token: 'x' }, b: { token: 'zz', mtime: 9 } });
    assert.equal(hashNeeds(toSnapshot('/s', t), toSnapshot('/d', u), QUICK).size, 0);
  });

  it('an unreadable source folder blocks every delete below it', () => {
    const s = toSnapshot('/s', tree({}));
    const entries = new Map(s.entries);
    entries.set('locked', { kind: 'problem', code: 'EACCES', message: 'permission denied' });
    const d = toSnapshot('/d', tree({ locked: { kind: 'dir' }, 'locked/f': {}, other: {} }));
    const p = planMirror({ source: { root: '/s', entries }, destination: d }, QUICK);
    assert.deepEqual(ops(p.actions), ['delete other']);
    assert.equal(p.failures.length, 1);
    assert.equal(p.failures[0]?.path, 'locked');
  });

  it('protected and excluded destination entries are kept, and so are their folders', () => {
    const s = toSnapshot('/s', tree({}));
    const d = toSnapshot('/d', tree({ up: { kind: 'dir' }, 'up/a': {}, ex: { kind: 'dir' }, gone: {} }));
    const p = planMirror(
      { source: { ...s, entries: new Map([['keep', { kind: 'file', size: 0, mtimeMs: 0, mode: 0o644, ino: 1 }]]) }, destination: { ...d, excluded: ['ex/cache'] } },
      { ...QUICK, isProtected: (path) => path === 'up/a' },
    );
    assert.deepEqual(ops(p.actions).sort(), ['copy keep', 'delete gone']);
  });
});

describe('planMirror: generated trees', () => {
  const runs = { numRuns: 400 };

  for (const [name, rules] of [['quick check', QUICK], ['checksum', CHECKSUM], ['no renames', { ...QUICK, detectRenames: false }]] as const) {
    it(`applying the plan yields the source (${name})`, () => {
      fc.assert(
        fc.property(treeArb, treeArb, (src, dst) => {
          const { plan: p, result, expected } = plan(src, dst, rules);
          const got = describeSim(result);
          if (rules.checksum) assert.deepEqual(got, expected);
          else {
            // The quick check trusts size + mtime: a same-size, same-mtime file keeps its old content.
            for (const [path, line] of Object.entries(expected)) {
              const n = src.get(path) as GenNode;
              const o = dst.get(path);
              if (n.kind === 'file' && o?.kind === 'file' && o.token.length === n.token.length && o.mtime === n.mtime) {
                assert.equal(got[path]?.replace(/^file \S* /, ''), line.replace(/^file \S* /, ''));
              } else assert.equal(got[path], line, path);
            }
            assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
          }
          // Deletes go deepest first, and no path is written twice.
          const deletes = p.actions.filter((a) => a.op === 'delete' && a.expect.kind === 'dir');
          for (let i = 1; i < deletes.length; i++) assert.ok(depthOf((deletes[i - 1] as Action).path) >= depthOf((deletes[i] as Action).path));
        }),
        runs,
      );
    });
  }

  it('moves are used whenever an identical file would otherwise be deleted and copied (checksum)', () => {
    fc.assert(
      fc.property(treeArb, treeArb, (src, dst) => {
        const { plan: p } = plan(src, dst, CHECKSUM);
        const deleted = new Set(
          p.actions
            .filter((a) => a.op === 'delete' && a.expect.kind === 'file' && dst.has(a.path))
            .map((a) => (dst.get(a.path) as GenNode).token),
        );
        for (const a of p.actions) {
          if (a.op !== 'copy' || a.source.size === 0) continue;
          const token = (src.get(a.path) as GenNode).token;
          assert.ok(!deleted.has(token), `copied ${a.path} while deleting identical content`);
        }
      }),
      runs,
    );
  });

  it('random renames and swaps of a tree are mirrored with moves, not copies', () => {
    fc.assert(
      fc.property(treeArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }), (base, swaps) => {
        const files = [...base].filter(([, n]) => n.kind === 'file' && n.token.length > 0).map(([p]) => p);
        const src = new Map(base);
        for (const [i, j] of swaps) {
          if (files.length < 2) break;
          const a = files[i % files.length] as string;
          const b = files[j % files.length] as string;
          const na = src.get(a) as GenNode;
          src.set(a, src.get(b) as GenNode);
          src.set(b, na);
        }
        const { plan: p, result, expected } = plan(src, base, CHECKSUM);
        assert.deepEqual(describeSim(result), expected);
        assert.equal(p.actions.filter((a) => a.op === 'copy' || a.op === 'update').length, 0);
      }),
      runs,
    );
  });

  for (const [name, rules] of [
    ['quick check', QUICK],
    ['no renames', { ...QUICK, detectRenames: false }],
    ['no deletes', { ...QUICK, delete: false }],
    ['protected paths', { ...QUICK, isProtected: (path: RelPath) => path.startsWith('b') }],
    ['size only', { ...QUICK, sizeOnly: true }],
    ['no perms', { ...QUICK, perms: false, umask: 0o022 }],
    ['a modify window', { ...QUICK, mtimeWindowUs: 1_000_000 }],
    ['whole seconds (SFTP only)', { ...QUICK, mtimeStepUs: 1_000_000 }],
    ['ignore existing, update', { ...QUICK, ignoreExisting: true, update: true }],
  ] as [string, PlanRules][]) {
    it(`leaving identical pairs out of both snapshots changes nothing in the plan (${name})`, () => {
      fc.assert(
        fc.property(treeArb, treeArb, (src, dst) => {
          const s = toSnapshot('/src', src);
          const d = toSnapshot('/dst', dst);
          const { digests } = digestsFor(src, dst, s, d, rules);
          const small = omitUnchanged(s, d, rules);
          assert.deepEqual(hashNeeds(small.source, small.destination, rules), hashNeeds(s, d, rules));
          const full = planMirror({ source: s, destination: d, digests }, rules);
          assert.deepEqual(planMirror({ source: small.source, destination: small.destination, digests }, rules), full);
          assert.equal(entryCount(small.source), s.entries.size);
          assert.equal(entryCount(small.destination), d.entries.size);
        }),
        runs,
      );
    });
  }

  it('identical pairs are left out: same file (size, mtime, mode) or same link (target, mtime); folders stay', () => {
    const s = toSnapshot('/s', tree({ d: { kind: 'dir' }, 'd/same': {}, 'd/mode': { mode: 0o755 }, 'd/time': { mtime: 5 }, l: { kind: 'symlink', target: 'x' }, m: { kind: 'symlink', target: 'y' } }));
    const d = toSnapshot('/d', tree({ d: { kind: 'dir' }, 'd/same': {}, 'd/mode': {}, 'd/time': {}, l: { kind: 'symlink', target: 'x' }, m: { kind: 'symlink', target: 'x' } }));
    const small = omitUnchanged(s, d);
    assert.deepEqual([...small.source.entries.keys()].sort(), ['d', 'd/mode', 'd/time', 'm']);
    assert.deepEqual([...small.destination.entries.keys()].sort(), ['d', 'd/mode', 'd/time', 'm']);
    assert.equal(small.source.omitted, 2);
  });
});

