/** The native scanner (native/scan.c) must see exactly what the JavaScript scanner sees, entry for entry. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { omitUnchanged } from '../../src/engine/plan/omit-unchanged.js';
import { nativeAddon } from '../../src/engine/backends/local-native/addon.js';
import { scanPairNative, scanTreeNative } from '../../src/engine/backends/local-native/scan.js';
import { scanTree, type Side } from '../../src/engine/backends/local-js/scan-tree.js';
import type { Snapshot } from '../../src/engine/types.js';
import { NOBODY, nobodySkip, readableInstall } from '../helpers/readable-install.js';
import { tmp } from '../helpers/tree.js';

const native = nativeAddon();

/** A snapshot as plain sorted data, so that two scans (whose entry order may differ) compare with deepEqual. */
function plain(s: Snapshot): unknown {
  return {
    root: s.root,
    rootEntry: s.rootEntry,
    entries: [...s.entries].sort(([a], [b]) => (a < b ? -1 : 1)),
    leftovers: [...(s.leftovers ?? [])].sort(),
    warnings: [...(s.warnings ?? [])].sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
}

async function assertSameScan(root: string, side: Side): Promise<void> {
  assert.ok(native);
  assert.deepEqual(plain(await scanTreeNative(native, root, side)), plain(scanTree(root, side)));
}

function hostileTree(root: string): Promise<void> {
  mkdirSync(join(root, 'a/b/c'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'a/one.txt'), 'one');
  writeFileSync(join(root, 'a/b/two.bin'), Buffer.alloc(70_000, 7));
  writeFileSync(join(root, 'a/b/c/exec.sh'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(root, 'setuid'), 'x');
  chmodSync(join(root, 'setuid'), 0o4711);
  writeFileSync(join(root, 'zero'), '');
  writeFileSync(join(root, 'spa ce é ✓'), 'names');
  writeFileSync(join(root, 'U+FFFD \uFFFD is valid'), 'real replacement character');
  symlinkSync('one.txt', join(root, 'a/rel-link'));
  symlinkSync('/etc/hostname', join(root, 'abs-link'));
  symlinkSync('../nowhere', join(root, 'a/dangling'));
  symlinkSync('b', join(root, 'a/dir-link'));
  symlinkSync('x'.repeat(3000), join(root, 'long-link'));
  // Not UTF-8: a file and a folder with content, and a link whose target is not UTF-8 either.
  writeFileSync(Buffer.from(`${root}/bad-\xff.txt`, 'latin1'), 'bad name');
  mkdirSync(Buffer.from(`${root}/dir-\xfe`, 'latin1'));
  writeFileSync(Buffer.from(`${root}/dir-\xfe/inside`, 'latin1'), 'inside');
  symlinkSync(Buffer.from('target-\xff', 'latin1'), join(root, 'bad-target'));
  // The engine's own names: temporary files (leftovers in a destination) and the lock (reserved at the root only).
  writeFileSync(join(root, '.absync-tmp.abcdefghijklmnopqrst'), 'left over');
  writeFileSync(join(root, 'a/b/.absync-tmp.zzzzzzzzzz2222277777'), 'left over');
  symlinkSync('gone', join(root, 'a/.absync-tmp.linkslinkslinkslinks'));
  // Only engine-made names are leftovers: a user's file and a folder that merely look like them are data.
  writeFileSync(join(root, '.absync-tmp.report.pdf'), 'a user file');
  mkdirSync(join(root, '.absync-tmp.dirdirdirdirdirdirdir'));
  writeFileSync(join(root, '.absync.lock'), '1');
  writeFileSync(join(root, '.absync.lock.takeover'), '1');
  writeFileSync(join(root, 'a/.absync.lock'), 'a user file');
  execFileSync('mkfifo', [join(root, 'fifo')]);
  // Times: nanoseconds, before 1970, far future.
  execFileSync('touch', ['-h', '-d', '@1700000000.123456789', join(root, 'a/one.txt')]);
  execFileSync('touch', ['-h', '-d', '@-1.5', join(root, 'zero')]);
  execFileSync('touch', ['-h', '-d', '@-86400.000000999', join(root, 'a/rel-link')]);
  utimesSync(join(root, 'empty'), 4_000_000_000, 4_000_000_000.25);
  // A listening socket leaves its file while this process lives; unref so the test can end.
  const server = createServer().unref();
  return new Promise((resolve) => server.listen(join(root, 'sock'), () => resolve()));
}

describe('native scanner', { skip: native ? false : 'the native addon is not built (npm install builds it when a C compiler is there)' }, () => {
  it('sees what scanTree sees on both sides: kinds, modes, times, links, special files, bad names, reserved names', async () => {
    const root = tmp();
    await hostileTree(root);
    await assertSameScan(root, 'source');
    await assertSameScan(root, 'destination');
    const snap = await scanTreeNative(native!, root, 'destination');
    // Spot checks, so that a bug shared by both scanners still fails here.
    assert.deepEqual(snap.entries.get('a/one.txt'), { kind: 'file', size: 3, mtimeMs: 1_700_000_000_123.456, mode: 0o644, ino: Number(lstatSync(join(root, 'a/one.txt')).ino) });
    assert.deepEqual(snap.entries.get('zero'), { kind: 'file', size: 0, mtimeMs: -1500, mode: 0o644, ino: Number(lstatSync(join(root, 'zero')).ino) });
    assert.equal(snap.entries.get('setuid')?.kind === 'file' && (snap.entries.get('setuid') as { mode: number }).mode, 0o4711);
    assert.deepEqual(snap.entries.get('fifo'), { kind: 'special', type: 'fifo' });
    assert.deepEqual(snap.entries.get('sock'), { kind: 'special', type: 'socket' });
    assert.deepEqual(snap.entries.get('long-link'), { kind: 'symlink', target: 'x'.repeat(3000), mtimeMs: (snap.entries.get('long-link') as { mtimeMs: number }).mtimeMs, ino: Number(lstatSync(join(root, 'long-link')).ino) });
    assert.ok(!snap.entries.has('.absync.lock') && !snap.entries.has('.absync.lock.takeover') && snap.entries.has('a/.absync.lock'));
    assert.deepEqual([...(snap.leftovers ?? [])].sort(), ['.absync-tmp.abcdefghijklmnopqrst', 'a/.absync-tmp.linkslinkslinkslinks', 'a/b/.absync-tmp.zzzzzzzzzz2222277777']);
    assert.ok(snap.entries.has('.absync-tmp.report.pdf') && snap.entries.has('.absync-tmp.dirdirdirdirdirdirdir'));
    assert.deepEqual(snap.warnings?.map((w) => w.path).sort(), ['bad-\uFFFD.txt', 'dir-\uFFFD']);
    assert.ok(![...snap.entries.keys()].some((p) => p.startsWith('dir-')), 'a folder with a bad name is not entered');
    const source = await scanTreeNative(native!, root, 'source');
    assert.ok(!source.leftovers?.length, 'a source has no leftovers to clean');
    // In a source, the engine's names are reported, never silently dropped.
    assert.deepEqual(source.warnings?.map((w) => w.path).sort(), [
      '.absync-tmp.abcdefghijklmnopqrst', '.absync.lock', '.absync.lock.takeover', 'a/.absync-tmp.linkslinkslinkslinks', 'a/b/.absync-tmp.zzzzzzzzzz2222277777', 'bad-\uFFFD.txt', 'dir-\uFFFD',
    ]);
  });

  it('matches scanTree on random trees, and leaves out the same identical pairs as omitUnchanged', async () => {
    const names = ['a', 'b', 'ç', '.absync-tmp.x', '.absync-tmp.abcdefghijklmnopqrst', '.absync.lock', 'a b'];
    const step = fc.record({
      path: fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 4 }),
      kind: fc.constantFrom('file', 'dir', 'link', 'chmod', 'touch', 'relink'),
      size: fc.nat(5000),
      mode: fc.constantFrom(0o600, 0o644, 0o755, 0o700),
      // Node's utimes cannot set times before 1970 (the hostile tree uses touch for those).
      mtime: fc.integer({ min: 0, max: 4_000_000_000 }),
      micros: fc.integer({ min: 0, max: 999_999 }),
    });
    const apply = (root: string, steps: readonly (typeof step extends fc.Arbitrary<infer T> ? T : never)[]): void => {
      for (const s of steps) {
        const path = join(root, ...s.path);
        try {
          mkdirSync(join(path, '..'), { recursive: true });
          if (s.kind === 'file') writeFileSync(path, Buffer.alloc(s.size, 1), { mode: s.mode });
          else if (s.kind === 'dir') mkdirSync(path, { mode: s.mode });
          else if (s.kind === 'link') symlinkSync(s.path.join('-'), path);
          else if (s.kind === 'chmod') chmodSync(path, s.mode);
          else if (s.kind === 'relink') {
            rmSync(path);
            symlinkSync(`${s.size}`, path);
          }
          if (s.kind !== 'link' && s.kind !== 'relink' && s.kind !== 'chmod') utimesSync(path, 1, s.mtime + s.micros / 1e6);
        } catch {
          // A path through a file or over an existing entry: skip that step.
        }
      }
    };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.array(fc.tuple(fc.nat(), step), { maxLength: 8 }), async (steps, edits) => {
        const base = join(tmp(), `t${n++}`);
        const src = join(base, 'src');
        const dst = join(base, 'dst');
        mkdirSync(src, { recursive: true });
        apply(src, steps);
        // The destination: a copy of the source with a few edits, so that most pairs are identical.
        execFileSync('cp', ['-a', src, dst]);
        // Edits mostly hit entries that exist: change a mode, an mtime, a link's target, a file's size.
        const existing = (readdirSync(dst, { recursive: true }) as string[]).map((p) => p.split('/'));
        apply(dst, edits.map(([i, e]) => (existing.length > 0 && i % 4 !== 0 ? { ...e, path: existing[i % existing.length] as string[] } : e)));
        for (const side of ['source', 'destination'] as const) await assertSameScan(src, side);
        const pair = await scanPairNative(native!, src, dst, true, true);
        const reference = omitUnchanged(scanTree(src, 'source'), scanTree(dst, 'destination'));
        assert.deepEqual(plain(pair.source), plain(reference.source));
        assert.deepEqual(plain(pair.destination), plain(reference.destination));
        assert.equal(pair.source.omitted, reference.source.omitted);
      }),
      { numRuns: 60 },
    );
  });

  it('reports an unreadable folder as a problem and lists the rest, like scanTree (run as an unprivileged user)', { skip: nobodySkip() }, () => {
    const root = tmp();
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'ok/locked/deeper'), { recursive: true });
    writeFileSync(join(root, 'ok/locked/secret'), 's');
    writeFileSync(join(root, 'ok/file'), 'f');
    writeFileSync(join(root, 'ok/unreadable-file'), 'u');
    for (const p of ['', 'ok', 'ok/locked', 'ok/locked/deeper', 'ok/locked/secret', 'ok/file', 'ok/unreadable-file']) chownSync(join(root, p), NOBODY, NOBODY);
    chmodSync(join(root, 'ok/locked'), 0o000);
    chmodSync(join(root, 'ok/unreadable-file'), 0o000);
    // Both scanners, in a process running as nobody (root reads everything).
    // From a readable copy of dist/src: the checkout may lie where that user cannot enter.
    const dist = join(readableInstall().root as string, 'dist/src/engine/backends/');
    const script = `
      const { nativeAddon } = await import(${JSON.stringify(join(dist, 'local-native', 'addon.js'))});
      const { scanTreeNative } = await import(${JSON.stringify(join(dist, 'local-native', 'scan.js'))});
      const { scanTree } = await import(${JSON.stringify(join(dist, 'local-js', 'scan-tree.js'))});
      const sort = (s) => [...s.entries].sort(([a], [b]) => (a < b ? -1 : 1));
      const n = await scanTreeNative(nativeAddon(), ${JSON.stringify(root)}, 'source');
      console.log(JSON.stringify({ native: sort(n), js: sort(scanTree(${JSON.stringify(root)}, 'source')) }));
      await scanTreeNative(nativeAddon(), ${JSON.stringify(join(root, 'ok/locked'))}, 'source').catch((e) => console.log(JSON.stringify({ code: e.code, path: e.path })));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', uid: NOBODY, gid: NOBODY });
    assert.equal(r.status, 0, r.stderr);
    const [scans, rootError] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(scans?.['native'], scans?.['js']);
    const locked = (scans?.['native'] as [string, { kind: string; code?: string }][]).find(([p]) => p === 'ok/locked');
    assert.deepEqual(locked?.[1].kind, 'problem');
    assert.equal(locked?.[1].code, 'EACCES');
    assert.deepEqual(rootError, { code: 'EACCES', path: join(root, 'ok/locked') });
    assert.ok(readdirSync(root).length > 0);
  });
});
