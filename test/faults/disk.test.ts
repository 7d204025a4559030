/** Disk full and a read-only destination: clear errors naming the file, exit 1, nothing half-written. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { absync } from '../helpers/cli.js';
import { NOBODY, nobodySkip } from '../helpers/readable-install.js';
import { tmp, writeTree } from '../helpers/tree.js';


function tryMountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const sha = (p: string): string => createHash('sha1').update(readFileSync(p)).digest('hex');

function allFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(root, rel))) {
    const r = rel ? `${rel}/${n}` : n;
    if (lstatSync(join(root, r)).isDirectory()) out.push(...allFiles(root, r));
    else out.push(r);
  }
  return out;
}

describe('disk full', () => {
  it('names the file, exits 1, leaves no temp file, and keeps every file whole (old or new)', (t) => {
    const root = tmp();
    const dst = join(root, 'dst');
    mkdirSync(dst);
    if (!tryMountTmpfs(dst, '2m')) {
      t.skip('cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)');
      return;
    }
    after(() => execFileSync('umount', ['-l', dst]));
    const src = writeTree(join(root, 'src'), { 'a-small.txt': 'small', 'b-old.bin': randomBytes(300 * 1024) });
    assert.equal(absync([src, dst]).code, 0);
    const oldHash = sha(join(dst, 'b-old.bin'));
    // Now the source grows past what the destination can hold, and b-old.bin changes.
    writeTree(src, { 'b-old.bin': randomBytes(900 * 1024), 'c-huge.bin': randomBytes(3 * 1024 * 1024) });
    const r = absync([src, dst]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /failed: .*\.bin: (copy|update): no space left on device \(ENOSPC\)/);
    assert.deepEqual(allFiles(dst).filter((n) => n.includes('.absync')), []);
    assert.equal(readFileSync(join(dst, 'a-small.txt'), 'utf8'), 'small');
    const b = sha(join(dst, 'b-old.bin'));
    assert.ok(b === oldHash || b === sha(join(src, 'b-old.bin')), 'b-old.bin is whole');
    for (const f of allFiles(dst)) {
      if (f !== 'b-old.bin') assert.equal(sha(join(dst, f)), sha(join(src, f)), `${f} is whole`);
    }
  });
});

describe('permission errors in the destination', () => {
  it('a read-only destination folder is reported with path and cause; the rest is mirrored', { skip: nobodySkip() }, () => {
    const root = tmp();
    chmodSync(root, 0o755);
    const src = writeTree(join(root, 'src'), { 'locked/new.txt': 'n', 'open/new.txt': 'o' });
    const dst = writeTree(join(root, 'dst'), { 'locked/': { dir: true }, 'open/': { dir: true } });
    for (const p of [src, join(src, 'locked'), join(src, 'open'), join(src, 'locked/new.txt'), join(src, 'open/new.txt'), dst, join(dst, 'locked'), join(dst, 'open')]) {
      chownSync(p, NOBODY, NOBODY);
    }
    chmodSync(join(dst, 'locked'), 0o555);
    chmodSync(join(src, 'locked'), 0o555);
    const r = absync([src, dst], { uid: NOBODY });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /failed: locked\/new\.txt: copy: permission denied \(EACCES\)/);
    assert.equal(readFileSync(join(dst, 'open/new.txt'), 'utf8'), 'o');
    assert.deepEqual(readdirSync(join(dst, 'locked')), []);
  });
});

describe('a destination that cannot be written at all', () => {
  it('is refused with one line naming it (exit 2), not an internal error', { skip: nobodySkip() }, () => {
    const root = tmp();
    chmodSync(root, 0o755);
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    mkdirSync(dst, { mode: 0o555 });
    chownSync(src, NOBODY, NOBODY);
    chownSync(join(src, 'a'), NOBODY, NOBODY);
    const r = absync([src, dst], { uid: NOBODY });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^absync: cannot write to destination .*dst: permission denied \(EACCES\)\n$/);
  });
});
