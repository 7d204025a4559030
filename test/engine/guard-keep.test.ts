/**
 * The planner's delete guards and the `keep` hook (the gulp plugin's partial streams), through makePlan with
 * hand-built snapshots (a path ending in / is a folder): no disk. No two files share a size, so no rename is hashed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbsyncError, makePlan, resolveOptions, type Action, type Entry, type RelPath, type Snapshot } from '../../src/engine/index.js';

let size = 0;
const file = (): Entry => ({ kind: 'file', size: ++size, mtimeMs: 1000, mode: 0o644, ino: 0 });
const dir = (): Entry => ({ kind: 'dir', mode: 0o755, mtimeMs: 1000, ino: 0 });

function snapshot(root: string, paths: readonly RelPath[]): Snapshot {
  return { root, entries: new Map(paths.map((p) => (p.endsWith('/') ? [p.slice(0, -1), dir()] : [p, file()]))) as Map<RelPath, Entry> };
}
const named = (n: number, name: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => name(i));
const deleted = (actions: readonly Action[]): string[] => actions.filter((a) => a.op === 'delete').map((a) => a.path).sort();
const OPTIONS = resolveOptions({ source: '/src', destination: '/dst' });

function refusedAsEmpty(pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AbsyncError, String(err));
    assert.equal(err.code, 'E_EMPTY_SOURCE');
    assert.equal(err.option, 'allowEmptySource');
    assert.match(err.message, pattern);
    return true;
  };
}

describe('mass-delete guard', () => {
  const chunks = (n: number, hash: string) => named(n, (i) => `chunk-${i}.${hash}.js`);

  it('a full-size source whose names all changed (content-hashed chunks) is a normal deploy', async () => {
    const plan = await makePlan(OPTIONS, snapshot('/src', chunks(1200, 'bbbb')), snapshot('/dst', chunks(1200, 'aaaa')));
    assert.equal(deleted(plan.actions).length, 1200);
    assert.equal(plan.actions.filter((a) => a.op === 'copy').length, 1200);
  });

  it('a source with fewer than half the destination\'s entries that would delete 95% of it is refused', async () => {
    const dst = snapshot('/dst', chunks(1200, 'aaaa'));
    await assert.rejects(makePlan(OPTIONS, snapshot('/src', chunks(10, 'bbbb')), dst), refusedAsEmpty(/source \/src has only 10 entries and would delete 1200 of 1200 entries of \/dst; check the path, or pass allowEmptySource: true/));
    await assert.rejects(makePlan(OPTIONS, snapshot('/src', chunks(599, 'bbbb')), dst), refusedAsEmpty(/has only 599 entries/));
    const half = await makePlan(OPTIONS, snapshot('/src', chunks(600, 'bbbb')), dst);
    assert.equal(deleted(half.actions).length, 1200);
    const allowed = await makePlan(resolveOptions({ source: '/src', destination: '/dst', allowEmptySource: true }), snapshot('/src', chunks(10, 'bbbb')), dst);
    assert.equal(deleted(allowed.actions).length, 1200);
  });

  it('below 1,000 deletes, or below 95% of the destination, nothing is refused', async () => {
    const few = await makePlan(OPTIONS, snapshot('/src', ['a']), snapshot('/dst', named(999, (i) => `old${i}`)));
    assert.equal(deleted(few.actions).length, 999);
    const most = await makePlan(OPTIONS, snapshot('/src', named(100, (i) => `keep${i}`)), snapshot('/dst', [...named(100, (i) => `keep${i}`), ...named(1800, (i) => `old${i}`)]));
    assert.equal(deleted(most.actions).length, 1800);
  });
});

describe('keep hook', () => {
  it('kept entries are neither deleted nor moved; a kept folder does not keep what is below it', async () => {
    const src = snapshot('/src', ['new.txt']);
    const dst = snapshot('/dst', ['a.txt', 'b.txt', 'sub/', 'sub/c.txt', 'sub/gone.txt', 'gone/', 'gone/x.txt']);
    const kept = new Set(['a.txt', 'sub', 'sub/c.txt']);
    const seen: string[] = [];
    const plan = await makePlan(OPTIONS, src, dst, (path, isDir) => {
      seen.push(`${path}${isDir ? '/' : ''}`);
      return kept.has(path);
    });
    assert.deepEqual(deleted(plan.actions), ['b.txt', 'gone', 'gone/x.txt', 'sub/gone.txt']);
    assert.ok(seen.includes('sub/'), 'asked with isDir for a folder');
    assert.ok(!seen.includes('new.txt'), 'never asked about a source path');
  });

  it('kept entries count as source for the empty-source guard', async () => {
    const dst = snapshot('/dst', ['kept.txt', 'gone.txt']);
    const plan = await makePlan(OPTIONS, snapshot('/src', []), dst, (path) => path === 'kept.txt');
    assert.deepEqual(deleted(plan.actions), ['gone.txt']);
    await assert.rejects(makePlan(OPTIONS, snapshot('/src', []), dst, () => false), refusedAsEmpty(/source \/src is empty and would delete all 2 entries of \/dst/));
  });
});

describe('keep hook and folder renames', () => {
  it('a kept folder is never renamed away, even when its files reappear under a new folder', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = mkdtempSync(join(tmpdir(), 'absync-keep-'));
    const names = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];
    const f = (i: number): Entry => ({ kind: 'file', size: 10 + i, mtimeMs: 5000, mode: 0o644, ino: 0 });
    const src = new Map<RelPath, Entry>([['images', dir()]]);
    const dst = new Map<RelPath, Entry>([['img', dir()]]);
    for (const [i, name] of names.entries()) {
      for (const [side, folder] of [['src', 'images'], ['dst', 'img']] as const) {
        mkdirSync(join(root, side, folder), { recursive: true });
        writeFileSync(join(root, side, folder, name), 'x'.repeat(10 + i));
      }
      src.set(`images/${name}`, f(i));
      dst.set(`img/${name}`, f(i));
    }
    const options = resolveOptions({ source: join(root, 'src'), destination: join(root, 'dst') });
    const source: Snapshot = { root: join(root, 'src'), entries: src };
    const destination: Snapshot = { root: join(root, 'dst'), entries: dst };
    const renamed = await makePlan(options, source, destination);
    assert.ok(renamed.actions.some((a) => a.op === 'rename' && a.from === 'img' && a.path === 'images'), 'without keep: one folder rename');
    const kept = await makePlan(options, source, destination, (path) => path === 'img');
    assert.ok(!kept.actions.some((a) => a.op === 'rename' && a.from === 'img'), JSON.stringify(kept.actions));
    assert.ok(!kept.actions.some((a) => a.path === 'img'), 'the kept folder is not touched');
    assert.deepEqual(deleted(kept.actions), [], 'its files moved into the new folder instead of being deleted');
  });
});
