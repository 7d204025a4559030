/** Bad input is refused with exit 2, a one-line error naming the path, and nothing changed. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lutimesSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { absync, CLI, jsonOf } from '../helpers/cli.js';
import { inodes, readTree, tmp, writeTree } from '../helpers/tree.js';
import { IS_WINDOWS } from '../helpers/platform.js';

function refused(args: string[], pattern: RegExp, unchanged: string): void {
  const before = existsSync(unchanged) ? readTree(unchanged) : undefined;
  const ino = existsSync(unchanged) ? inodes(unchanged) : undefined;
  const r = absync(args);
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  if (before) {
    assert.deepEqual(readTree(unchanged), before);
    assert.deepEqual(inodes(unchanged), ino);
  }
}

describe('refusals', () => {
  it('a missing source never empties the destination', () => {
    const root = tmp();
    const dst = writeTree(join(root, 'dst'), { 'precious.txt': 'p', 'd/x': 'x' });
    refused([join(root, 'no-such-dir'), dst], /source folder does not exist: .*no-such-dir/, dst);
  });

  it('an empty source path is refused', () => {
    const root = tmp();
    const dst = writeTree(join(root, 'dst'), { 'precious.txt': 'p' });
    refused(['', dst], /must not be empty/, dst);
  });

  it('an empty source over a full destination is refused unless allowed', () => {
    const root = tmp();
    const src = join(root, 'src');
    mkdirSync(src);
    const dst = writeTree(join(root, 'dst'), { 'precious.txt': 'p', 'd/x': 'x' });
    refused([src, dst], /source .*src is empty and would delete all 3 entries.*--allow-empty-source/, dst);
    const r = absync([src, dst, '--allow-empty-source']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readTree(dst), {});
  });

  it('a source that is a file is refused', () => {
    const root = tmp();
    writeFileSync(join(root, 'file'), 'x');
    const dst = writeTree(join(root, 'dst'), { a: 'a' });
    refused([join(root, 'file'), dst], /source is not a folder: .*file/, dst);
  });

  it('the same folder twice is refused', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    refused([src, `${src}/.`], /same folder/, src);
  });

  it('a destination inside the source is refused', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', 'out/old': 'o' });
    refused([src, join(src, 'out')], /destination .*out is inside source/, src);
  });

  it('a source inside the destination is refused', () => {
    const root = tmp();
    const dst = writeTree(join(root, 'dst'), { a: 'a', 'in/b': 'b' });
    refused([join(dst, 'in'), dst], /source .*in is inside destination/, dst);
  });

  it('a destination that is a file is refused', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    writeFileSync(join(root, 'dfile'), 'keep me');
    refused([src, join(root, 'dfile')], /destination exists and is not a folder: .*dfile/, src);
    assert.equal(readFileSync(join(root, 'dfile'), 'utf8'), 'keep me');
  });

  it('unknown flags and bad numbers are usage errors', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    for (const args of [[src, dst, '--frobnicate'], [src, dst, '--max-delete', 'lots'], [src]]) {
      const r = absync(args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^absync: /);
    }
    assert.ok(!existsSync(dst));
  });

  it('--max-delete refuses a run that would delete more, and says how many', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { keep: 'k' });
    const dst = writeTree(join(root, 'dst'), { keep: 'k', a: '1', b: '2', c: '3' });
    refused([src, dst, '--max-delete', '2'], /would delete 3 entries .*more than --max-delete 2/, dst);
    assert.equal(absync([src, dst, '--max-delete', '3']).code, 0);
  });

  it('a destination locked by a live run is refused; a stale lock is taken over', { skip: IS_WINDOWS ? 'writes locks with Linux /proc start times (test/platform/lock.test.ts covers Windows)' : false }, () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = writeTree(join(root, 'dst'), { old: 'o' });
    const start = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const ticks = start.slice(start.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(join(dst, '.absync.lock'), JSON.stringify({ pid: process.pid, host: hostname(), start: ticks, since: 'now' }));
    const r = absync([src, dst]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /being synced by another absync run \(pid \d+/);
    assert.ok(existsSync(join(dst, 'old')));
    // A dead pid: the lock is stale.
    writeFileSync(join(dst, '.absync.lock'), JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), since: 'then' }));
    const ok = absync([src, dst, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(jsonOf(ok).deleted, 1);
    assert.ok(!existsSync(join(dst, '.absync.lock')));
  });

  it('--help and --version', () => {
    const h = absync(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /usage: absync <source> <destination> \[interval-seconds\] \[logfile\]/);
    for (const flag of ['--dry-run', '--checksum', '--exclude', '--json', '--once']) assert.ok(h.stdout.includes(flag), flag);
    for (const flag of ['--version', '-V']) {
      const v = absync([flag]);
      assert.equal(v.code, 0);
      assert.match(v.stdout.trim(), /^gulp-absync \d+\.\d+\.\d+ \(engine: (native|JavaScript) \(.+\)\)$/);
    }
    const js = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', env: { ...process.env, ABSYNC_NO_NATIVE: '1' } });
    assert.match(js.stdout, /\(engine: JavaScript \(native addon: .*ABSYNC_NO_NATIVE.*\)\)/);
  });
});

describe('refusals below a file', () => {
  it('a destination below a regular file is refused with exit 2', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    writeFileSync(join(root, 'afile'), 'x');
    const r = absync([src, join(root, 'afile', 'dst')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /destination is not a folder \(a parent is a file\): .*afile[\\/]dst/);
  });
});

/** A live lock on `dst`, held by this test process. */
function holdLock(dst: string): void {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(join(dst, '.absync.lock'), JSON.stringify({ pid: process.pid, host: hostname(), start: ticks, since: 'now' }));
}

describe('--json on a refused run', () => {
  it('prints one JSON line with the refusal (code, message, path), for every kind of refusal', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { keep: 'k' });
    const dst = writeTree(join(root, 'dst'), { keep: 'k', a: '1', b: '2' });
    const cases: [string[], string, RegExp][] = [
      [[src, dst, '--max-delete', '1'], 'E_MAX_DELETE', /would delete 2 entries .*--max-delete 1/],
      [[join(root, 'nope'), dst], 'E_SOURCE_MISSING', /source folder does not exist/],
      [[src, join(root, 'x', 'y')], 'E_DEST_NOT_DIR', /--mkpath creates it/],
    ];
    for (const [args, code, message] of cases) {
      const r = absync([...args, '--json']);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
      const { refused } = jsonOf(r) as { refused: { code: string; message: string; path?: string } };
      assert.equal(refused.code, code);
      assert.match(refused.message, message);
      assert.equal(typeof refused.path, 'string');
      assert.equal(r.stderr, `absync: ${refused.message}\n`);
    }
    holdLock(dst);
    const locked = absync([src, dst, '--json']);
    assert.equal((jsonOf(locked).refused as { code: string }).code, 'E_LOCKED');
  });
});

describe('refused means nothing changed, the destination root included', () => {
  for (const [what, args] of [['--max-delete', ['--max-delete', '0']], ['an empty source', []], ['a held lock', []]] as const) {
    it(`a run refused by ${what} leaves the destination root's mtime as it was`, () => {
      const root = tmp();
      const src = join(root, 'src');
      mkdirSync(src);
      if (what !== 'an empty source') writeFileSync(join(src, 'a'), 'a');
      const dst = writeTree(join(root, 'dst'), { old: 'o', 'd/x': 'x' });
      if (what === 'a held lock') holdLock(dst);
      utimesSync(dst, 1_600_000_000, 1_600_000_000);
      const before = statSync(dst).mtimeMs;
      const r = absync([src, dst, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(statSync(dst).mtimeMs, before);
    });
  }
});

describe('attributes an unprivileged user may not set', () => {
  it('over a destination it may write but does not own: each attribute it cannot set is a failed entry (exit 1), not an internal error', () => {
    const root = tmp();
    chmodSync(root, 0o755);
    const src = writeTree(join(root, 'src'), { 'sub/f': { data: 'new', mtime: 1_600_000_100 }, top: { data: 't', mtime: 1_600_000_100 } });
    const dst = writeTree(join(root, 'dst'), { 'sub/f': { data: 'old', mtime: 1_600_000_000 } });
    chmodSync(dst, 0o777);
    chmodSync(join(dst, 'sub'), 0o777);
    const r = absync([src, dst], { uid: 65534 });
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.match(r.stderr, /^absync: failed: \.: setAttrs: operation not permitted \(EPERM\)$/m);
    assert.match(r.stderr, /^absync: failed: sub: setAttrs: operation not permitted \(EPERM\)$/m);
    assert.equal(readFileSync(join(dst, 'sub/f'), 'utf8'), 'new');
    assert.equal(readFileSync(join(dst, 'top'), 'utf8'), 't');
  });

  it('each entry whose attributes it cannot set is one failure, the root included: a folder, a file\'s mode, a link\'s mtime', { skip: IS_WINDOWS ? 'owners and modes are POSIX' : false }, () => {
    const root = tmp();
    chmodSync(root, 0o755);
    const src = writeTree(join(root, 'src'), { 'sub/f': { data: 'f', mode: 0o600, mtime: 1_600_000_000 }, link: { link: 'target' }, sub: { dir: true, mode: 0o755, mtime: 1_600_000_100 } });
    const dst = writeTree(join(root, 'dst'), { 'sub/f': { data: 'f', mode: 0o644, mtime: 1_600_000_000 }, link: { link: 'target' } });
    lutimesSync(join(dst, 'link'), 1_500_000_000, 1_500_000_000);
    for (const d of [dst, join(dst, 'sub')]) chmodSync(d, 0o777);
    chmodSync(join(src, 'sub/f'), 0o644);
    chmodSync(join(dst, 'sub/f'), 0o666);
    utimesSync(src, 1_600_000_200, 1_600_000_200);
    const r = absync([src, dst, '--json'], { uid: 65534 });
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
    const failed = r.stderr.split('\n').filter((l) => l.startsWith('absync: failed: ')).sort();
    assert.deepEqual(failed, [
      'absync: failed: .: setAttrs: operation not permitted (EPERM)',
      'absync: failed: link: setAttrs: operation not permitted (EPERM)',
      'absync: failed: sub/f: setAttrs: operation not permitted (EPERM)',
      'absync: failed: sub: setAttrs: operation not permitted (EPERM)',
    ]);
    assert.equal(jsonOf(r).failed, 4);
  });
});
