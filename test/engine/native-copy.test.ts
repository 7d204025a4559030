/** Native file writes (native/copy.c) leave exactly what the JavaScript writes leave, and keep their guarantees. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COPY, DIR_OP, DIRS, nativeAddon } from '../../src/engine/native.js';
import { CLI } from '../helpers/cli.js';
import { readTree, tmp, writeTree } from '../helpers/tree.js';

const native = nativeAddon();

function run(src: string, dst: string, env: Record<string, string> = {}): void {
  execFileSync(process.execPath, [CLI, src, dst, '--quiet'], { env: { ...process.env, ...env }, stdio: 'pipe' });
}

describe('native file writes', { skip: native ? false : 'the native addon is not built' }, () => {
  it('copy content, every mode bit and the mtime exactly as the JavaScript path does (umask 077 included)', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), {
      empty: '', one: 'x', 'sub/big': Buffer.alloc(3 << 20, 9), 'sub/mid': Buffer.alloc(70_000, 3),
    });
    const modes: Record<string, number> = { m777: 0o777, m600: 0o600, suid: 0o4755, sgid: 0o2750, sticky: 0o1644, none: 0o000 };
    for (const [name, mode] of Object.entries(modes)) {
      writeFileSync(join(src, name), name);
      chmodSync(join(src, name), mode);
    }
    execFileSync('touch', ['-d', '@1700000000.123456789', join(src, 'one')]);
    // A umask that would strip bits from a freshly created file: the copy must still carry the source's mode.
    const umask = process.umask(0o077);
    try {
      run(src, join(root, 'native'));
      run(src, join(root, 'js'), { ABSYNC_NO_NATIVE: '1' });
    } finally {
      process.umask(umask);
    }
    assert.deepEqual(readTree(join(root, 'native')), readTree(src));
    assert.deepEqual(readTree(join(root, 'js')), readTree(src));
    assert.equal(statSync(join(root, 'native', 'suid')).mode & 0o7777, 0o4755);
    assert.equal(statSync(join(root, 'native', 'one')).mtimeMs, 1_700_000_000_123.456);
    assert.deepEqual(readdirSync(join(root, 'native')).filter((n) => n.startsWith('.absync')), []);
  });

  it('never writes through a symlinked folder, and reports a source that is gone or not a regular file', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { f: 'data' });
    const dst = join(root, 'dst');
    const outside = join(root, 'outside');
    mkdirSync(join(dst, 'real'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(dst, 'link'));
    symlinkSync(join(src, 'f'), join(src, 'to-f'));
    const copy = async (source: string, root: string, parent: string, tmpName: string, name: string, rename: boolean): Promise<number> => {
      const { results, errors } = await native!.copy(root, parent, [source], [tmpName], [name], rename, [Number.NaN, Number.NaN, Number.NaN]);
      if (results[0] === COPY.error) throw Object.assign(new Error(errors[0]), { code: errors[0]?.split('\n')[0] });
      return results[0] as number;
    };
    assert.equal(await copy(join(src, 'f'), dst, 'link', '.absync-tmp.t1', 'f', true), COPY.unsafe);
    assert.equal(await copy(join(src, 'f'), dst, 'real/../link', '.absync-tmp.t2', 'f', true), COPY.unsafe);
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(await copy(join(src, 'missing'), dst, 'real', '.absync-tmp.t3', 'g', true), COPY.gone);
    assert.equal(await copy(join(src, 'to-f'), dst, 'real', '.absync-tmp.t4', 'h', true), COPY.gone);
    assert.equal(await copy(src, dst, 'real', '.absync-tmp.t5', 'i', true), COPY.gone);
    assert.deepEqual(readdirSync(join(dst, 'real')), []);
    assert.equal(await copy(join(src, 'f'), dst, 'real', '.absync-tmp.t6', 'f', true), COPY.done);
    assert.deepEqual(readdirSync(join(dst, 'real')), ['f']);
    // An update is left under its temporary name, for the caller's checks before the rename.
    assert.equal(await copy(join(src, 'f'), dst, 'real', '.absync-tmp.t7', 'f', false), COPY.done);
    assert.deepEqual(readdirSync(join(dst, 'real')).sort(), ['.absync-tmp.t7', 'f']);
    await assert.rejects(copy(join(src, 'f'), dst, 'nowhere', '.absync-tmp.t8', 'f', true), { code: 'ENOENT' });
    // A batch: one folder opened once, each file with its own result.
    const batch = await native!.copy(dst, 'real', [join(src, 'f'), join(src, 'missing'), join(src, 'f')], ['.absync-tmp.b1', '.absync-tmp.b2', '.absync-tmp.b3'], ['x', 'y', 'z'], true, Array(9).fill(Number.NaN));
    assert.deepEqual([...batch.results], [COPY.done, COPY.gone, COPY.done]);
    assert.deepEqual(readdirSync(join(dst, 'real')).sort(), ['.absync-tmp.t7', 'f', 'x', 'z']);
    // An update replaces only the file the scan saw: same size, mtime and inode, else 'changed' and nothing written.
    const x = lstatSync(join(dst, 'real', 'x'));
    const seen = [x.size, Math.floor(Number(lstatSync(join(dst, 'real', 'x'), { bigint: true }).mtimeNs / 1000n)) / 1000, x.ino];
    const upd = await native!.copy(dst, 'real', [join(src, 'f'), join(src, 'f')], ['.absync-tmp.u1', '.absync-tmp.u2'], ['x', 'z'], true, [...seen, x.size, 1, 1]);
    assert.deepEqual([...upd.results], [COPY.done, COPY.changed]);
    assert.deepEqual(readdirSync(join(dst, 'real')).sort(), ['.absync-tmp.t7', 'f', 'x', 'z']);
  });

  it('folder steps: create (0700 until attributes), set mode and mtime through the folder, never through a link', async () => {
    const root = tmp();
    const dst = join(root, 'dst');
    const outside = join(root, 'outside');
    mkdirSync(join(dst, 'p'), { recursive: true });
    mkdirSync(outside, { mode: 0o755 });
    writeFileSync(join(dst, 'p', 'file'), 'x');
    symlinkSync(outside, join(dst, 'p', 'link'));
    const made = await native!.dirs(dst, 'p', DIR_OP.mkdir, ['a', 'b', 'file'], [-1, -1, -1], [Number.NaN, Number.NaN, Number.NaN]);
    assert.deepEqual([...made.results], [DIRS.done, DIRS.done, DIRS.changed]);
    assert.equal(statSync(join(dst, 'p', 'a')).mode & 0o7777, 0o700);
    const again = await native!.dirs(dst, 'p', DIR_OP.mkdir, ['a'], [-1], [Number.NaN]);
    assert.deepEqual([...again.results], [DIRS.done], 'an existing folder is fine');
    const set = await native!.dirs(dst, 'p', DIR_OP.attrs, ['a', 'link', 'gone'], [0o2750, 0o700, 0o700], [1_600_000_000_123.456, 5, 5]);
    assert.deepEqual([...set.results], [DIRS.done, DIRS.changed, DIRS.gone]);
    const st = lstatSync(join(dst, 'p', 'a'), { bigint: true });
    assert.equal(Number(st.mode & 0o7777n), 0o2750);
    assert.equal(st.mtimeNs, 1_600_000_000_123_456_000n);
    assert.equal(statSync(outside).mode & 0o7777, 0o755, 'the link target is untouched');
    const viaLink = await native!.dirs(dst, 'p/link', DIR_OP.mkdir, ['x'], [-1], [Number.NaN]);
    assert.deepEqual([...viaLink.results], [DIRS.unsafe]);
    assert.deepEqual(readdirSync(outside), []);
  });
});

