/** `--stats`: the block after the summary line, from the real bin: entries scanned on each side, planned and done by kind, bytes, time per phase. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, jsonOf } from '../helpers/cli.js';
import { tmp, writeTree } from '../helpers/tree.js';

describe('--stats', () => {
  it('prints the counts of both scans, what was planned and done of each kind, the bytes and the time of each phase', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a.txt': 'aaaa', 'sub/b.txt': 'bb', 'same.txt': { data: 's', mtime: 1_600_000_000 }, 'grown.txt': 'longer now' });
    const dst = writeTree(join(root, 'dst'), { 'same.txt': { data: 's', mtime: 1_600_000_000 }, 'grown.txt': 'short', 'old.txt': 'o' });
    const r = absync([src, dst, '--stats', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const json = jsonOf(r);
    const at = lines.indexOf('stats:');
    assert.ok(at > 0 && /^synced /.test(lines[at - 1] ?? ''), r.stdout);
    const block = lines.slice(at + 1, at + 6);
    const scanned = json.scanned as { source: number; destination: number };
    assert.equal(block[0], `  scanned   source ${scanned.source} entries, destination ${scanned.destination} entries`);
    assert.ok(scanned.source >= 5 && scanned.destination >= 3, JSON.stringify(scanned));
    assert.match(block[1] ?? '', /^ {2}planned {3}copied 2, updated 1, deleted 1, moved 0, created 1, attrs \d+; 16 B$/);
    assert.match(block[2] ?? '', /^ {2}done {6}copied 2, updated 1, deleted 1, moved 0, created 1, attrs \d+; 16 B$/);
    assert.equal(block[3], '  not done  failed 0, vanished 0, skipped 0');
    assert.match(block[4] ?? '', /^ {2}time {6}scan \d+ ms, plan \d+ ms, apply \d+ ms; \d+ ms in all$/);
    // The JSON line stays the last line on stdout.
    assert.equal(lines.at(-1), JSON.stringify(json));
  });

  it('with --dry-run says what it would do, and nothing is done', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a.txt': 'aaaa' });
    const dst = writeTree(join(root, 'dst'), { 'old.txt': 'o' });
    const r = absync([src, dst, '--stats', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}planned {3}copied 1, updated 0, deleted 1, moved 0, created 0, attrs \d+; 4 B$/m);
    assert.match(r.stdout, /^ {2}would do  copied 1, updated 0, deleted 1, moved 0, created 0, attrs \d+; 4 B$/m);
  });
});
