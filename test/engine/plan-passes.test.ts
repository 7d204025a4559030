/** Each planner pass on its own, with a table of named cases (the way mutagen's reconciler is tested). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareFiles, sameTimeFor } from '../../src/engine/plan/compare.js';
import { type PlanContext, Touched } from '../../src/engine/plan/context.js';
import { extraneous } from '../../src/engine/plan/deletes.js';
import { fileMoves } from '../../src/engine/plan/file-moves.js';
import { folderAttrs } from '../../src/engine/plan/folder-attrs.js';
import { keepOf } from '../../src/engine/plan/keep.js';
import { pairEntries } from '../../src/engine/plan/pair.js';
import { findDirMoves } from '../../src/engine/plan/renames.js';
import type { PlanRules } from '../../src/engine/plan/rules.js';
import type { Action, DigestPair, DirEntry, Entry, FileEntry, RelPath } from '../../src/engine/types.js';

const QUICK: PlanRules = { checksum: false, delete: true, detectRenames: true };

let ino = 100;
const file = (size: number, mtimeMs = 1000, mode = 0o644): FileEntry => ({ kind: 'file', size, mtimeMs, mode, ino: ino++ });
const dir = (mtimeMs = 1000, mode = 0o755): DirEntry => ({ kind: 'dir', mode, mtimeMs, ino: ino++ });
const link = (target: string, mtimeMs = 1000): Entry => ({ kind: 'symlink', target, mtimeMs, ino: ino++ });

function context(src: Record<string, Entry>, dst: Record<string, Entry>, rules: PlanRules = QUICK, digests: Record<string, DigestPair> = {}): PlanContext {
  const s = new Map(Object.entries(src));
  const d = new Map(Object.entries(dst));
  const dg = new Map(Object.entries(digests));
  return {
    src: s, dst: d, digests: dg, rules, sameTime: sameTimeFor(rules),
    keep: keepOf({ root: '/s', entries: s }, { root: '/d', entries: d }, rules.isProtected),
    destDigest: (p) => dg.get(p)?.destination,
  };
}

const line = (a: Action): string => {
  switch (a.op) {
    case 'setAttrs':
      return `attrs ${a.path}${a.mode !== undefined ? ` mode=${a.mode.toString(8)}` : ''}${a.mtimeMs !== undefined ? ` t=${a.mtimeMs}` : ''}`;
    case 'copy':
    case 'update':
      return `${a.op} ${a.path}${a.mode !== undefined ? ` mode=${a.mode.toString(8)}` : ''}`;
    case 'stage':
      return `stage ${a.path}#${a.slot}`;
    case 'unstage':
      return `unstage #${a.slot}>${a.path}${a.expect ? ' (replaces)' : ''}`;
    default:
      return `${a.op} ${a.path}`;
  }
};

describe('compare: the quick check, checksum, size-only and mtime windows', () => {
  const cases: { name: string; s: FileEntry; d: FileEntry; rules?: PlanRules; digests?: DigestPair; want: string }[] = [
    { name: 'same size and mtime', s: file(3, 1000), d: file(3, 1000), want: 'same' },
    { name: 'other size', s: file(3), d: file(4), want: 'size' },
    { name: 'other mtime', s: file(3, 1000), d: file(3, 1000.001), want: 'mtime' },
    { name: 'size-only ignores the mtime', s: file(3, 1000), d: file(3, 5000), rules: { ...QUICK, sizeOnly: true }, want: 'same' },
    { name: 'size-only still sees a size change', s: file(3), d: file(5), rules: { ...QUICK, sizeOnly: true }, want: 'size' },
    { name: 'checksum: equal digests', s: file(3, 1), d: file(3, 2), rules: { ...QUICK, checksum: true }, digests: { source: 'a', destination: 'a' }, want: 'same' },
    { name: 'checksum: other digests', s: file(3), d: file(3), rules: { ...QUICK, checksum: true }, digests: { source: 'a', destination: 'b' }, want: 'content' },
    { name: 'a 2 us window takes a Windows round-off', s: file(3, 1000.004), d: file(3, 1000.002), rules: { ...QUICK, mtimeWindowUs: 2 }, want: 'same' },
    { name: 'a 2 us window is no wider', s: file(3, 1000.004), d: file(3, 1000.001), rules: { ...QUICK, mtimeWindowUs: 2 }, want: 'mtime' },
    { name: 'whole seconds: the same second', s: file(3, 1_700_000_000_900.5), d: file(3, 1_700_000_000_000), rules: { ...QUICK, mtimeStepUs: 1e6 }, want: 'same' },
    { name: 'whole seconds: the next second', s: file(3, 1_700_000_001_000), d: file(3, 1_700_000_000_000), rules: { ...QUICK, mtimeStepUs: 1e6 }, want: 'mtime' },
    { name: 'modify window of 1 s (FAT)', s: file(3, 10_000), d: file(3, 11_000), rules: { ...QUICK, mtimeWindowUs: 1e6 }, want: 'same' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const rules = c.rules ?? QUICK;
      assert.equal(compareFiles(c.s, c.d, rules, sameTimeFor(rules), c.digests), c.want);
    });
  }
});

describe('pair pass', () => {
  const cases: { name: string; src: Record<string, Entry>; dst: Record<string, Entry>; rules?: PlanRules; want: string[]; skipped?: number }[] = [
    { name: 'a missing file is copied', src: { a: file(1) }, dst: {}, want: ['copy a'] },
    { name: 'a missing folder is made', src: { d: dir() }, dst: {}, want: ['mkdir d'] },
    { name: 'an identical file needs nothing', src: { a: file(1, 5) }, dst: { a: file(1, 5) }, want: [] },
    { name: 'an mtime change is an update', src: { a: file(1, 6) }, dst: { a: file(1, 5) }, want: ['update a'] },
    { name: 'a mode change is attributes only', src: { a: file(1, 5, 0o755) }, dst: { a: file(1, 5, 0o644) }, want: ['attrs a mode=755 t=5'] },
    { name: 'a file where a folder was: delete first', src: { a: file(1) }, dst: { a: dir() }, want: ['delete a', 'copy a'] },
    { name: 'a changed link target', src: { l: link('x') }, dst: { l: link('y') }, want: ['symlink l'] },
    { name: 'a link mtime only', src: { l: link('x', 7) }, dst: { l: link('x', 5) }, want: ['attrs l t=7'] },
    { name: 'protected: not overwritten', src: { a: file(2) }, dst: { a: file(1) }, rules: { ...QUICK, isProtected: (p) => p === 'a' }, want: [], skipped: 1 },
    { name: 'size-only: same size, other mtime: only the mtime is set', src: { a: file(1, 9) }, dst: { a: file(1, 5) }, rules: { ...QUICK, sizeOnly: true }, want: ['attrs a mode=644 t=9'] },
    { name: 'ignore-existing: an existing file is left as it is', src: { a: file(2, 9, 0o600) }, dst: { a: file(1, 5) }, rules: { ...QUICK, ignoreExisting: true }, want: [] },
    { name: 'ignore-existing: a missing file is still copied', src: { a: file(2) }, dst: {}, rules: { ...QUICK, ignoreExisting: true }, want: ['copy a'] },
    { name: 'ignore-existing: even another kind stays', src: { a: file(2) }, dst: { a: link('x') }, rules: { ...QUICK, ignoreExisting: true }, want: [] },
    { name: 'update: a newer destination file is kept', src: { a: file(2, 5) }, dst: { a: file(1, 9) }, rules: { ...QUICK, update: true }, want: [] },
    { name: 'update: an older destination file is updated', src: { a: file(2, 9) }, dst: { a: file(1, 5) }, rules: { ...QUICK, update: true }, want: ['update a'] },
    { name: 'update: same mtime, other size is updated', src: { a: file(2, 5) }, dst: { a: file(1, 5) }, rules: { ...QUICK, update: true }, want: ['update a'] },
    { name: 'no perms: a mode change is not an action', src: { a: file(1, 5, 0o755) }, dst: { a: file(1, 5, 0o600) }, rules: { ...QUICK, perms: false }, want: [] },
    { name: 'no perms: a new file gets the source mode minus the umask', src: { a: file(1, 5, 0o777) }, dst: {}, rules: { ...QUICK, perms: false, umask: 0o027 }, want: ['copy a mode=750'] },
    { name: 'no perms: an update keeps the destination mode', src: { a: file(2, 5, 0o755) }, dst: { a: file(1, 5, 0o600) }, rules: { ...QUICK, perms: false }, want: ['update a mode=600'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ctx = context(c.src, c.dst, c.rules);
      const p = pairEntries(ctx, new Touched());
      const got = [...p.typeRemovals, ...p.mkdirs, ...p.contents, ...p.links, ...p.attrs].map(line);
      assert.deepEqual(got, c.want);
      assert.equal(p.skipped.length, c.skipped ?? 0);
    });
  }

  it('an unreadable source entry is a failure, and a special file a skip', () => {
    const p = pairEntries(context({ x: { kind: 'problem', code: 'EACCES', message: 'denied' }, f: { kind: 'special', type: 'fifo' } }, {}), new Touched());
    assert.deepEqual(p.failures.map((f) => `${f.op} ${f.path} ${f.code}`), ['scan x EACCES']);
    assert.deepEqual(p.skipped.map((s) => s.path), ['f']);
  });
});

describe('delete pass', () => {
  const cases: { name: string; src: Record<string, Entry>; dst: Record<string, Entry>; rules?: PlanRules; want: string[]; failures?: number }[] = [
    { name: 'an extra file is deleted', src: {}, dst: { a: file(1) }, want: ['delete a'] },
    { name: 'nothing when delete is off', src: {}, dst: { a: file(1) }, rules: { ...QUICK, delete: false }, want: [] },
    { name: 'a protected file stays, and so does its folder', src: {}, dst: { d: dir(), 'd/a': file(1), b: file(1) }, rules: { ...QUICK, isProtected: (p) => p === 'd/a' }, want: ['delete b'] },
    { name: 'below an unreadable source folder nothing is deleted', src: { d: { kind: 'problem', code: 'EACCES', message: 'x' } }, dst: { d: dir(), 'd/a': file(1) }, want: [] },
    { name: 'an unreadable destination entry is reported', src: {}, dst: { u: { kind: 'problem', code: 'EACCES', message: 'x' } }, want: [], failures: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = extraneous(context(c.src, c.dst, c.rules), new Touched());
      assert.deepEqual(r.removals.map(line), c.want);
      assert.equal(r.failures.length, c.failures ?? 0);
    });
  }
});

describe('file-move pass', () => {
  const same = { source: 'h', destination: 'h' };
  it('a deleted file whose content a copy needs is moved instead', () => {
    const ctx = context({ b: file(3, 7) }, { a: file(3, 7) }, QUICK, { a: { destination: 'h' }, b: { source: 'h' } });
    const touched = new Touched();
    const paired = pairEntries(ctx, touched);
    const gone = extraneous(ctx, touched);
    const m = fileMoves(ctx, paired.contents, gone.removals, paired.replaced, touched);
    assert.deepEqual([...m.stage, ...m.unstage, ...m.removals, ...m.contents].map(line), ['stage a#0', 'unstage #0>b']);
  });
  it('a swap goes through two slots, and nothing is copied', () => {
    const ctx = context({ a: file(3, 1), b: file(3, 2) }, { a: file(3, 2), b: file(3, 1) }, { ...QUICK, checksum: true }, {
      a: { source: 'x', destination: 'y' }, b: { source: 'y', destination: 'x' },
    });
    const touched = new Touched();
    const paired = pairEntries(ctx, touched);
    const m = fileMoves(ctx, paired.contents, [], paired.replaced, touched);
    assert.deepEqual([...m.stage, ...m.unstage, ...m.contents].map(line), ['stage b#0', 'stage a#1', 'unstage #0>a', 'unstage #1>b']);
  });
  it('a protected donor is never moved', () => {
    const ctx = context({ b: file(3) }, { a: file(3) }, { ...QUICK, isProtected: (p) => p === 'a' }, { a: same, b: same });
    const m = fileMoves(ctx, pairEntries(ctx, new Touched()).contents, [], new Set(), new Touched());
    assert.deepEqual(m.stage, []);
    assert.deepEqual(m.contents.map(line), ['copy b']);
  });
  it('without rename detection nothing changes', () => {
    const ctx = context({ b: file(3) }, { a: file(3) }, { ...QUICK, detectRenames: false }, { a: same, b: same });
    const r = extraneous(ctx, new Touched());
    const m = fileMoves(ctx, pairEntries(ctx, new Touched()).contents, r.removals, new Set(), new Touched());
    assert.deepEqual([...m.removals, ...m.contents].map(line), ['delete a', 'copy b']);
  });
});

describe('folder-rename pass', () => {
  const dg = (paths: string[], side: 'source' | 'destination', h: Record<string, string>): [string, DigestPair][] => paths.map((p) => [p, { [side]: h[p.split('/').pop() as string] as string }]);
  const h = { f1: 'h1', f2: 'h2', f3: 'h3' };
  it('most files of a folder reappearing under a new name: one rename', () => {
    const src = new Map<RelPath, Entry>([['n', dir()], ['n/f1', file(1)], ['n/f2', file(2)], ['n/f3', file(3)]]);
    const dst = new Map<RelPath, Entry>([['o', dir()], ['o/f1', file(1)], ['o/f2', file(2)], ['o/f3', file(3)]]);
    const digests = new Map([...dg(['n/f1', 'n/f2', 'n/f3'], 'source', h), ...dg(['o/f1', 'o/f2', 'o/f3'], 'destination', h)]);
    assert.deepEqual(findDirMoves({ src, dst, digests, pinned: new Set(), blocked: () => false }), [{ from: 'o', to: 'n' }]);
  });
  it('a folder that holds a kept entry does not move', () => {
    const src = new Map<RelPath, Entry>([['n', dir()], ['n/f1', file(1)]]);
    const dst = new Map<RelPath, Entry>([['o', dir()], ['o/f1', file(1)]]);
    const digests = new Map([...dg(['n/f1'], 'source', h), ...dg(['o/f1'], 'destination', h)]);
    assert.deepEqual(findDirMoves({ src, dst, digests, pinned: new Set(['o']), blocked: () => false }), []);
  });
  it('a minority of moved files does not move the folder', () => {
    const src = new Map<RelPath, Entry>([['n', dir()], ['n/f1', file(1)]]);
    const dst = new Map<RelPath, Entry>([['o', dir()], ['o/f1', file(1)], ['o/f2', file(2)], ['o/f3', file(3)]]);
    const digests = new Map([...dg(['n/f1'], 'source', h), ...dg(['o/f1', 'o/f2', 'o/f3'], 'destination', h)]);
    assert.deepEqual(findDirMoves({ src, dst, digests, pinned: new Set(), blocked: () => false }), []);
  });
});

describe('folder-attribute pass', () => {
  const cases: { name: string; src: Record<string, Entry>; dst: Record<string, Entry>; touched?: string[]; rules?: PlanRules; want: string[] }[] = [
    { name: 'an unchanged folder needs nothing', src: { d: dir(5) }, dst: { d: dir(5) }, want: [] },
    { name: 'a new folder gets mode and mtime', src: { d: dir(5, 0o750) }, dst: {}, want: ['attrs d mode=750 t=5'] },
    { name: 'a folder whose content changed gets its mtime back', src: { d: dir(5) }, dst: { d: dir(5) }, touched: ['d/x'], want: ['attrs d mode=755 t=5'] },
    { name: 'no perms: an existing folder keeps its mode', src: { d: dir(5, 0o700) }, dst: { d: dir(4, 0o755) }, rules: { ...QUICK, perms: false }, want: ['attrs d t=5'] },
    { name: 'no perms: a new folder gets the source mode minus the umask', src: { d: dir(5, 0o777) }, dst: {}, rules: { ...QUICK, perms: false, umask: 0o022 }, want: ['attrs d mode=755 t=5'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const touched = new Touched();
      for (const p of c.touched ?? []) touched.add(p);
      const got = folderAttrs(context(c.src, c.dst, c.rules), touched, new Set(), { source: undefined, destination: undefined });
      assert.deepEqual(got.map(line), c.want);
    });
  }
  it('the root: mode planned when it differs, never with perms off', () => {
    const roots = { source: dir(5, 0o750), destination: dir(5, 0o755) };
    assert.deepEqual(folderAttrs(context({}, {}), new Touched(), new Set(), roots).map(line), ['attrs  mode=750 t=5']);
    assert.deepEqual(folderAttrs(context({}, {}, { ...QUICK, perms: false }), new Touched(), new Set(), roots).map(line), []);
  });
});
