/** The CLI's mirror semantics on real folders: content, modes, mtimes, symlinks, empty folders, odd names. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, chmodSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, jsonOf } from '../helpers/cli.js';
import { assertMirror, inodes, MTIME_SLOP_US, readTree, tmp, withinSlop, writeTree } from '../helpers/tree.js';
import { IS_WINDOWS, NEEDS_FIFO, NEEDS_MODES, NEEDS_SYMLINKS } from '../helpers/platform.js';

const T = 1_600_000_000;

describe('absync mirrors a tree exactly', () => {
  it('copies files, folders (empty ones too), symlinks, modes and mtimes', { skip: NEEDS_SYMLINKS || NEEDS_MODES }, () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), {
      'a.txt': { data: 'alpha\n', mode: 0o640, mtime: T },
      'bin/run.sh': { data: '#!/bin/sh\necho hi\n', mode: 0o755, mtime: T + 1 },
      'empty/': { dir: true },
      'deep/er/est/x': 'x',
      'link-rel': { link: 'a.txt' },
      'link-abs': { link: '/nonexistent/target' },
      'dirlink': { link: 'bin' },
      'ro/': { dir: true, mode: 0o555 },
    });
    const dst = join(root, 'dst');
    const r = absync([src, dst, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assertMirror(src, dst);
    assert.equal(readlinkSync(join(dst, 'link-abs')), '/nonexistent/target');
    assert.ok(lstatSync(join(dst, 'dirlink')).isSymbolicLink());
    const s = jsonOf(r);
    assert.equal(s.copied, 6); // 3 files and 3 links
    assert.equal(s.failed, 0);
    assert.equal(typeof s.durationMs, 'number');
  });

  it('--json names the engine that ran, as --version does', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a.txt': 'a' });
    const r = absync([src, join(root, 'dst'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const version = absync(['--version']).stdout;
    const engine = jsonOf(r).engine;
    assert.ok(engine === 'native' || engine === 'js', `engine: ${String(engine)}`);
    if (process.env['ABSYNC_NO_NATIVE'] === '1' || IS_WINDOWS) assert.equal(engine, 'js');
    assert.match(version, engine === 'native' ? /\(engine: native \(/ : /\(engine: JavaScript \(/, version);
  });

  it('deletes what the source no longer has, and updates what changed', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { keep: { data: 'same', mtime: T }, change: 'new content', 'sub/new': 'n' });
    const dst = writeTree(join(root, 'dst'), { keep: { data: 'same', mtime: T }, change: 'old', 'gone.txt': 'x', 'olddir/deep/f': 'y', 'sub/': { dir: true } });
    const r = absync([src, dst, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assertMirror(src, dst);
    const s = jsonOf(r);
    assert.equal(s.deleted, 4);
    assert.equal(s.updated, 1);
    assert.equal(s.copied, 1);
  });

  it('binary files with every byte value arrive byte-exact', () => {
    const root = tmp();
    const all = Buffer.alloc(256 * 4);
    for (let i = 0; i < all.length; i++) all[i] = i % 256;
    const src = writeTree(join(root, 'src'), { 'bytes.bin': all, 'zeros.bin': Buffer.alloc(10), 'ff.bin': Buffer.alloc(3, 0xff) });
    const dst = join(root, 'dst');
    assert.equal(absync([src, dst]).code, 0);
    assert.deepEqual(readFileSync(join(dst, 'bytes.bin')), all);
    assertMirror(src, dst);
  });

  it('a second run changes nothing: same inodes, same mtimes', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', 'd/b': 'b', 'd/e/': { dir: true }, l: { link: 'a' } });
    const dst = join(root, 'dst');
    assert.equal(absync([src, dst]).code, 0);
    const before = inodes(dst);
    const tree = readTree(dst);
    const r = absync([src, dst, '--json']);
    assert.equal(r.code, 0);
    const s = jsonOf(r);
    for (const k of ['copied', 'updated', 'deleted', 'moved', 'attrs', 'created']) assert.equal(s[k], 0, k);
    assert.deepEqual(inodes(dst), before);
    assert.deepEqual(withinSlop(readTree(dst), tree), tree);
    const rootOff = lstatSync(dst, { bigint: true }).mtimeNs / 1000n - lstatSync(src, { bigint: true }).mtimeNs / 1000n;
    assert.ok(rootOff >= -BigInt(MTIME_SLOP_US) && rootOff <= BigInt(MTIME_SLOP_US), `the root's mtime (off by ${rootOff} us)`);
  });

  it('names that look like globs, flags, unicode in both normal forms, 255-byte names and 100-deep folders', { skip: IS_WINDOWS ? 'names with * and ? cannot exist on Windows (test/platform/names.test.ts covers them there)' : false }, () => {
    const root = tmp();
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    const long = 'L'.repeat(255);
    const deep = Array.from({ length: 100 }, (_, i) => `d${i}`).join('/');
    const spec = {
      '[a].txt': '1', '*': '2', '{x,y}': '3', '!x': '4', '#': '5', '-rf': '6', 'with space': '7',
      [nfc]: 'nfc', [nfd]: 'nfd', [long]: 'long', [`${deep}/leaf`]: 'deep', '?': 'q', 'a\\b': 'backslash',
    };
    const src = writeTree(join(root, 'src'), spec);
    const dst = join(root, 'dst');
    const r = absync([src, dst]);
    assert.equal(r.code, 0, r.stderr);
    assertMirror(src, dst);
    assert.deepEqual(readdirSync(dst).filter((n) => n.startsWith('caf')).sort(), [nfc, nfd].sort());
    // And the run after deletes exactly the right one of two names that differ only in unicode form.
    execFileSync('rm', [join(src, nfd)]);
    assert.equal(absync([src, dst]).code, 0);
    assert.ok(existsSync(join(dst, nfc)));
    assert.ok(!readdirSync(dst).includes(nfd));
    assertMirror(src, dst);
  });

  it('replaces a file by a folder and a folder by a file', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'was-file/inner': 'i', 'was-dir': 'now a file' });
    const dst = writeTree(join(root, 'dst'), { 'was-file': 'old file', 'was-dir/x/y': 'deep' });
    const r = absync([src, dst]);
    assert.equal(r.code, 0, r.stderr);
    assertMirror(src, dst);
  });

  it('replaces a destination symlink where the source has a folder, never writing through it', () => {
    const root = tmp();
    const outside = writeTree(join(root, 'outside'), { 'victim.txt': 'do not touch' });
    const before = readTree(outside);
    const src = writeTree(join(root, 'src'), { 'sub/victim.txt': 'mirror me', 'sub/new.txt': 'new' });
    const dst = join(root, 'dst');
    mkdirSync(dst);
    symlinkSync(outside, join(dst, 'sub'));
    const r = absync([src, dst]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readTree(outside), before);
    assert.ok(lstatSync(join(dst, 'sub')).isDirectory());
    assertMirror(src, dst);
  });

  it('skips special files with a warning and never opens them', { skip: NEEDS_FIFO }, () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'f.txt': 'f' });
    execFileSync('mkfifo', [join(src, 'pipe')]);
    const dst = join(root, 'dst');
    const r = absync([src, dst, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /pipe.*special file \(fifo\)/);
    assert.ok(!existsSync(join(dst, 'pipe')));
    assert.equal(readFileSync(join(dst, 'f.txt'), 'utf8'), 'f');
    assert.equal(jsonOf(r).skipped, 1);
  });

  it('same size and mtime but other content: missed by default, found with --checksum', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { f: { data: 'AAAA', mtime: T } });
    const dst = writeTree(join(root, 'dst'), { f: { data: 'BBBB', mtime: T } });
    chmodSync(join(dst, 'f'), lstatSync(join(src, 'f')).mode & 0o7777);
    utimesSync(dst, lstatSync(src).mtime, lstatSync(src).mtime);
    const quick = absync([src, dst, '--json']);
    assert.equal(jsonOf(quick).updated, 0);
    assert.equal(readFileSync(join(dst, 'f'), 'utf8'), 'BBBB');
    const sum = absync([src, dst, '--checksum', '--json']);
    assert.equal(sum.code, 0);
    assert.equal(jsonOf(sum).updated, 1);
    assert.equal(readFileSync(join(dst, 'f'), 'utf8'), 'AAAA');
    assertMirror(src, dst);
  });

  it('removes temporary files left by a killed run', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'd/f': 'f' });
    const dst = join(root, 'dst');
    assert.equal(absync([src, dst]).code, 0);
    writeFileSync(join(dst, 'd', '.absync-tmp.dead.1'), 'half a file');
    writeFileSync(join(dst, '.absync-tmp.mv.0'), 'staged');
    const r = absync([src, dst]);
    assert.equal(r.code, 0);
    assert.deepEqual(readdirSync(join(dst, 'd')), ['f']);
    assert.ok(!existsSync(join(dst, '.absync-tmp.mv.0')));
  });

  it('writes nothing with --dry-run and prints the plan', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'new.txt': 'n', 'changed.txt': 'longer now' });
    const dst = writeTree(join(root, 'dst'), { 'changed.txt': 'short', 'extra.txt': 'x' });
    const before = inodes(dst);
    const r = absync([src, dst, '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(inodes(dst), before);
    assert.match(r.stdout, /create\s+new\.txt/);
    assert.match(r.stdout, /update\s+changed\.txt \(size/);
    assert.match(r.stdout, /delete\s+extra\.txt/);
    const s = jsonOf(r);
    assert.equal(s.dryRun, true);
    assert.equal(s.copied, 1);
    assert.equal(s.deleted, 1);
  });

  it('--exclude leaves matching paths alone on both sides', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a.log': 'log', 'keep.txt': 'k', 'node_modules/x/y.js': 'y', 'sub/b.log': 'b' });
    const dst = writeTree(join(root, 'dst'), { 'old.log': 'dest only, excluded: kept', 'cache/tmp.log': 'kept too' });
    const r = absync([src, dst, '--exclude', '*.log', '--exclude', 'node_modules/']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(dst, 'a.log')));
    assert.ok(!existsSync(join(dst, 'sub/b.log')));
    assert.ok(!existsSync(join(dst, 'node_modules')));
    assert.equal(readFileSync(join(dst, 'old.log'), 'utf8'), 'dest only, excluded: kept');
    assert.ok(existsSync(join(dst, 'cache/tmp.log')));
    assert.ok(existsSync(join(dst, 'keep.txt')));
  });
});
