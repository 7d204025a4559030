/** The remaining CLI options, each with an effect a test can see. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, jsonOf } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

const T = 1_600_000_000;

describe('CLI options', () => {
  it('--no-delete keeps extraneous destination entries', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = writeTree(join(root, 'dst'), { extra: 'x' });
    const r = absync([src, dst, '--no-delete', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(jsonOf(r).deleted, 0);
    assert.ok(existsSync(join(dst, 'extra')));
    assert.equal(readFileSync(join(dst, 'a'), 'utf8'), 'a');
  });

  it('--hash sha256 with --checksum finds a same-size, same-mtime change', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { f: { data: 'new!', mtime: T } });
    const dst = writeTree(join(root, 'dst'), { f: { data: 'old!', mtime: T } });
    const r = absync([src, dst, '--checksum', '--hash', 'sha256', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(jsonOf(r).updated, 1);
    assert.equal(readFileSync(join(dst, 'f'), 'utf8'), 'new!');
    const bad = absync([src, dst, '--checksum', '--hash', 'crc7']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'absync: --hash takes md5, sha1 or sha256, got "crc7"; absync --help for usage\n');
  });

  it('--concurrency 1 mirrors the same tree', () => {
    const root = tmp();
    const spec: Record<string, string> = {};
    for (let i = 0; i < 30; i++) spec[`d${i % 3}/f${i}`] = `content ${i}`;
    const src = writeTree(join(root, 'src'), spec);
    const dst = join(root, 'dst');
    assert.equal(absync([src, dst, '--concurrency', '1']).code, 0);
    assertMirror(src, dst);
    assert.equal(absync([src, dst, '--concurrency', '0']).code, 2);
  });

  it('--quiet prints nothing on success; --verbose lists each action', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const quiet = absync([src, join(root, 'q'), '--quiet']);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stdout, '');
    const verbose = absync([src, join(root, 'v'), '--verbose']);
    assert.match(verbose.stdout, /^create\s+a \(1 bytes\)$/m);
  });
});
