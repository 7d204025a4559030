/** Failures that are reported, not fatal: unreadable entries (as an unprivileged user) and a killed run. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, absyncAsync } from '../helpers/cli.js';
import { NOBODY, nobodySkip } from '../helpers/readable-install.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';


function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  if (lstatSync(path).isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n), uid);
}

function sha(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

describe('reported failures', () => {
  it('an unreadable file is reported (exit 1) and the rest is mirrored', { skip: nobodySkip() }, () => {
    const root = tmp();
    chmodSync(root, 0o755);
    const src = writeTree(join(root, 'src'), { 'ok.txt': 'fine', 'secret.txt': 'no', 'sub/also-ok': 'yes' });
    const dst = join(root, 'dst');
    chownTree(root, NOBODY);
    chmodSync(join(src, 'secret.txt'), 0o000);
    const r = absync([src, dst], { uid: NOBODY });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /failed: secret\.txt: copy: permission denied \(EACCES\)/);
    assert.equal(readFileSync(join(dst, 'ok.txt'), 'utf8'), 'fine');
    assert.equal(readFileSync(join(dst, 'sub/also-ok'), 'utf8'), 'yes');
    assert.ok(!existsSync(join(dst, 'secret.txt')));
    assert.deepEqual(readdirSync(dst).filter((n) => n.startsWith('.absync')), []);
  });

  it('an unreadable source folder never looks empty: its destination copy is kept', { skip: nobodySkip() }, () => {
    const root = tmp();
    chmodSync(root, 0o755);
    const src = writeTree(join(root, 'src'), { 'locked/a': 'a', 'open/b': 'b' });
    const dst = join(root, 'dst');
    chownTree(root, NOBODY);
    assert.equal(absync([src, dst], { uid: NOBODY }).code, 0);
    chmodSync(join(src, 'locked'), 0o000);
    const r = absync([src, dst], { uid: NOBODY });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /failed: locked: scan: cannot read source: permission denied/);
    assert.equal(readFileSync(join(dst, 'locked/a'), 'utf8'), 'a');
    chmodSync(join(src, 'locked'), 0o755);
  });

  it('a run killed mid-copy leaves each file whole (old or new), and the next run converges', async () => {
    const root = tmp();
    const big = 96 * 1024 * 1024;
    const oldData = randomBytes(1024 * 1024);
    const src = writeTree(join(root, 'src'), { 'big.bin': Buffer.alloc(big, 7), 'small.txt': 'new' });
    const dst = writeTree(join(root, 'dst'), { 'big.bin': oldData, 'small.txt': 'old' });
    const oldHash = sha(join(dst, 'big.bin'));
    const newHash = sha(join(src, 'big.bin'));
    const child = absyncAsync([src, dst]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill as soon as a temporary file shows up: the copy is under way.
    let sawTemp = false;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (readdirSync(dst).some((n) => n.startsWith('.absync-tmp.'))) {
        sawTemp = true;
        child.kill('SIGKILL');
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
    await exited;
    const now = sha(join(dst, 'big.bin'));
    assert.ok(now === oldHash || now === newHash, 'big.bin is whole');
    if (sawTemp) assert.equal(now, oldHash, 'killed before the rename: the old file is intact');
    const again = absync([src, dst]);
    assert.equal(again.code, 0, again.stderr);
    assertMirror(src, dst);
    assert.deepEqual(readdirSync(dst).filter((n) => n.startsWith('.absync')), []);
  });
});
