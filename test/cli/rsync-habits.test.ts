/** The rsync spellings users type, and messages that name the flag the user typed and what is allowed. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, jsonOf } from '../helpers/cli.js';
import { assertMirror, readTree, tmp, writeTree } from '../helpers/tree.js';

const T = 1_600_000_000;

/** A usage error: exit 2, one line on stderr that ends by pointing at --help, nothing on stdout. */
function usageError(args: string[], pattern: RegExp): string {
  const r = absync(args);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', /^absync: .*; absync --help for usage$/);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(lines[0] ?? '', /ERR_PARSE_ARGS|To specify a positional/);
  return lines[0] ?? '';
}

describe('rsync spellings', () => {
  it('-a -r -t -p -l -W --delete --perms are accepted silently: what absync always does', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: { data: 'a', mode: 0o751, mtime: T }, 'd/l': { link: '../a' } });
    const dst = writeTree(join(root, 'dst'), { extra: 'x' });
    const r = absync([src, dst, '-a', '-r', '-t', '-p', '-l', '-W', '--delete', '--perms']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assertMirror(src, dst);
  });

  it('-avn is rsync -a -v -n: a dry run that changes nothing', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = writeTree(join(root, 'dst'), { old: 'o' });
    const r = absync(['-avn', src, dst]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^create\s+a \(1 bytes\)$/m);
    assert.match(r.stdout, /^delete\s+old$/m);
    assert.deepEqual(Object.keys(readTree(dst)), ['old']);
  });

  it('-i / --itemize-changes prints the itemized line of each action done', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', b: 'bb' });
    for (const flag of ['-i', '--itemize-changes']) {
      const r = absync([src, join(root, `dst${flag}`), flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith('create')).sort(), ['create  a (1 bytes)', 'create  b (2 bytes)']);
    }
  });

  it('--log-file=FILE appends like the logfile argument; both at once is an error', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const log = join(root, 'logs', 'run.log');
    assert.equal(absync([src, join(root, 'dst'), `--log-file=${log}`]).code, 0);
    assert.equal(absync([src, join(root, 'dst'), '--log-file', log]).code, 0);
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').filter((l) => / synced /.test(l)).length, 2);
    usageError([src, join(root, 'dst'), join(root, 'other.log'), '--log-file', log], /two log files: .*other\.log and --log-file .*run\.log/);
  });

  it('--exclude-from and --include-from read globs from files (comments and blank lines skipped)', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a.log': '1', 'keep.log': '2', 'b.txt': '3', 'cache/x': '4' });
    writeFileSync(join(root, 'excludes'), '# build output\n*.log\n\n; and the cache\ncache/\n');
    writeFileSync(join(root, 'includes'), 'keep.log\r\n');
    const dst = join(root, 'dst');
    const r = absync([src, dst, '--exclude-from', join(root, 'excludes'), `--include-from=${join(root, 'includes')}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(readTree(dst)).sort(), ['b.txt', 'keep.log']);
    usageError([src, dst, '--exclude-from', join(root, 'missing')], /^absync: --exclude-from .*missing: cannot read it \(ENOENT\)/);
  });

  it('--mkpath: without it a destination whose parent is missing is refused, saying so; with it the parents are made', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'no', 'such', 'dst');
    const r = absync([src, dst]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `absync: the parent folder of destination ${dst} does not exist (--mkpath creates it)\n`);
    assert.ok(!existsSync(join(root, 'no')));
    assert.equal(absync([src, dst, '--mkpath']).code, 0);
    assertMirror(src, dst);
    // The last level alone is made without --mkpath, as rsync does.
    assert.equal(absync([src, join(root, 'new')]).code, 0);
  });

  it('rsync flags absync does not take are refused with what it does instead', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a' });
    const dst = join(root, 'dst');
    usageError(['-avz', src, dst], /^absync: -z is not supported: absync does not compress/);
    usageError([src, dst, '-H'], /^absync: -H is not supported: hard links are copied as separate files/);
    usageError([src, dst, '--inplace'], /^absync: --inplace is not supported: every file is written to a temporary name/);
    usageError([src, dst, '-e', 'ssh'], /^absync: -e is not supported: absync speaks SSH itself: give user@host:\/path as the destination/);
  });
});

describe('messages name the flag as typed, and what is allowed', () => {
  it('globs that name the root or start with ! are refused, naming the flag and the pattern; nothing is made', () => {
    const src = writeTree(tmp(), { a: '1' });
    const dst = join(tmp(), 'dst');
    for (const [flag, why] of [
      ['--exclude=!', /--exclude pattern "!" starts with "!": negation .* is not supported/],
      ['--exclude=!*.js', /--exclude pattern "!\*\.js" starts with "!"/],
      ['--include=/', /--include pattern "\/" names the root itself/],
      ['--protect=./', /--protect pattern "\.\/" names the root itself/],
      ['--exclude=.', /--exclude pattern "\." names the root itself/],
    ] as const) {
      const r = absync([src, dst, flag]);
      assert.equal(r.code, 2, `${flag}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.throws(() => lstatSync(dst), /ENOENT/, `${flag} made the destination`);
    }
    // A name that starts with "!" is still reachable, escaped.
    writeFileSync(join(src, '!keep'), 'k');
    assert.equal(absync([src, dst, '--exclude=\\!keep']).code, 0);
    assert.deepEqual(readdirSync(dst).sort(), ['a']);
  });

  it('missing arguments say which', () => {
    usageError([], /^absync: missing <source> and <destination>;/);
    usageError(['site'], /^absync: missing <destination> after <source> site;/);
    usageError(['a', 'b', 'c', 'd', 'e'], /^absync: too many arguments: e /);
    usageError(['a', 'b', 'soon', 'log'], /^absync: \[interval-seconds\] takes a number of seconds from 0 to 2147483 \(Node.s longest timer, about 24.8 days\), got "soon"/);
  });

  it('bad values name the flag and what it takes', () => {
    usageError(['a', 'b', '--hash', 'sha512'], /^absync: --hash takes md5, sha1 or sha256, got "sha512"/);
    usageError(['a', 'b', '--max-delete', 'lots'], /^absync: --max-delete takes a whole number >= 0, got "lots"/);
    usageError(['a', 'b', '--concurrency=0'], /^absync: --concurrency takes a whole number >= 1, got "0"/);
    usageError(['a', 'b', '--lock-timeout', '-1'], /^absync: --lock-timeout takes a number of seconds >= 0, got "-1"/);
    usageError(['a', 'b', '--modify-window', 'x'], /^absync: --modify-window takes a number of seconds >= 0, got "x"/);
    usageError(['a', 'b', '--exclude'], /^absync: --exclude needs a value: a glob or a list of globs/);
    usageError(['a', 'b', '--stats=yes'], /^absync: --stats takes no value, got "yes"/);
  });

  it('an unknown flag is named, without parseArgs\' text, with the nearest real one', () => {
    usageError(['a', 'b', '--frobnicate'], /^absync: unknown option --frobnicate;/);
    usageError(['a', 'b', '--exlude', 'x'], /^absync: unknown option --exlude \(did you mean --exclude\?\);/);
    usageError(['a', 'b', '-Y'], /^absync: unknown option -Y;/);
  });

  it('--json on a bad command line still prints one JSON line', () => {
    const r = absync(['a', 'b', '--json', '--hash', 'x']);
    assert.equal(r.code, 2);
    assert.deepEqual(jsonOf(r), { refused: { code: 'E_USAGE', message: '--hash takes md5, sha1 or sha256, got "x"' } });
  });

  it('--json with an --exclude-from file that cannot be read prints one JSON line too', () => {
    const root = tmp();
    const missing = join(root, 'no-such-rules');
    const r = absync([join(root, 'a'), join(root, 'b'), '--json', '--exclude-from', missing]);
    assert.equal(r.code, 2);
    assert.deepEqual(jsonOf(r), { refused: { code: 'E_USAGE', message: `--exclude-from ${missing}: cannot read it (ENOENT)` } });
  });
});

describe('rsync semantics, as rsync documents them', () => {
  it('--size-only: a file of the same size is left alone whatever its mtime', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { same: { data: 'new!', mtime: T + 100 }, grown: { data: 'longer', mtime: T } });
    const dst = writeTree(join(root, 'dst'), { same: { data: 'old!', mtime: T }, grown: { data: 'short', mtime: T } });
    const r = absync([src, dst, '--size-only', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dst, 'same'), 'utf8'), 'old!');
    assert.equal(readFileSync(join(dst, 'grown'), 'utf8'), 'longer');
    assert.equal(jsonOf(r).updated, 1);
  });

  it('--ignore-existing: files that exist in the destination are never updated; missing ones are created', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { there: { data: 'source', mtime: T + 100 }, missing: 'm' });
    const dst = writeTree(join(root, 'dst'), { there: { data: 'dest', mtime: T } });
    assert.equal(absync([src, dst, '--ignore-existing']).code, 0);
    assert.equal(readFileSync(join(dst, 'there'), 'utf8'), 'dest');
    assert.equal(readFileSync(join(dst, 'missing'), 'utf8'), 'm');
  });

  it('-u / --update: a destination file newer than the source\'s is left alone; an older one is updated', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { newer: { data: 'src', mtime: T }, older: { data: 'src', mtime: T + 100 } });
    const dst = writeTree(join(root, 'dst'), { newer: { data: 'dst!', mtime: T + 100 }, older: { data: 'dst!', mtime: T } });
    for (const flag of ['-u', '--update']) {
      assert.equal(absync([src, dst, flag]).code, 0);
      assert.equal(readFileSync(join(dst, 'newer'), 'utf8'), 'dst!');
      assert.equal(readFileSync(join(dst, 'older'), 'utf8'), 'src');
    }
  });

  it('--modify-window=N: mtimes at most N seconds apart count as equal', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { f: { data: 'new!', mtime: T + 1 } });
    const dst = writeTree(join(root, 'dst'), { f: { data: 'old!', mtime: T } });
    assert.equal(absync([src, dst, '--modify-window=2']).code, 0);
    assert.equal(readFileSync(join(dst, 'f'), 'utf8'), 'old!');
    assert.equal(absync([src, dst, '--modify-window', '0']).code, 0);
    assert.equal(readFileSync(join(dst, 'f'), 'utf8'), 'new!');
  });

  it('--no-perms: content and mtimes are mirrored, existing files keep their modes, new ones get the source\'s less the umask', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { kept: { data: 'new content', mode: 0o755 }, fresh: { data: 'f', mode: 0o666 } });
    const dst = writeTree(join(root, 'dst'), { kept: { data: 'old', mode: 0o600 } });
    chmodSync(join(dst, 'kept'), 0o600);
    assert.equal(absync([src, dst, '--no-perms']).code, 0);
    assert.equal(readFileSync(join(dst, 'kept'), 'utf8'), 'new content');
    assert.equal(lstatSync(join(dst, 'kept')).mode & 0o7777, 0o600);
    assert.equal(lstatSync(join(dst, 'fresh')).mode & 0o7777, 0o666 & ~process.umask());
    // Mtimes are mirrored to the microsecond (README: Comparing files).
    // From bigint stats: a double of milliseconds times 1000 can land a microsecond low.
    const us = (p: string): bigint => lstatSync(p, { bigint: true }).mtimeNs / 1000n;
    assert.equal(us(join(dst, 'kept')), us(join(src, 'kept')));
  });

  it('--delete-excluded: excluded destination entries are deleted too, folders with their content (protected ones stay)', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', 'b.log': 'b', 'cache/x': 'x' });
    const dst = writeTree(join(root, 'dst'), { 'old.log': 'o', 'keep.log': 'k', 'cache/y': 'y', 'cache/deep/z': 'z' });
    // Without the flag, excluded entries are left alone on both sides.
    assert.equal(absync([src, dst, '--exclude', '*.log', '--exclude', 'cache/']).code, 0);
    assert.deepEqual(Object.keys(readTree(dst)).sort(), ['a', 'cache', 'cache/deep', 'cache/deep/z', 'cache/y', 'keep.log', 'old.log']);
    assert.equal(absync([src, dst, '--exclude', '*.log', '--exclude', 'cache/', '--protect', 'keep.log', '--delete-excluded']).code, 0);
    assert.deepEqual(Object.keys(readTree(dst)).sort(), ['a', 'keep.log']);
  });

  it('mtimes before 1970 are mirrored (to the microsecond, toward zero) and a second run changes nothing', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', b: 'b' });
    const dst = join(root, 'dst');
    // Node's fs.utimes takes a negative number for "now": written as numbers, these became today's time every run.
    execFileSync('touch', ['-d', '@-1.500000001', join(src, 'a')]);
    execFileSync('touch', ['-d', '@-100', join(src, 'b')]);
    assert.equal(absync([src, dst]).code, 0);
    const ns = (p: string): bigint => lstatSync(p, { bigint: true }).mtimeNs;
    assert.equal(ns(join(dst, 'a')), -1_500_000_000n);
    assert.equal(ns(join(dst, 'b')), -100_000_000_000n);
    const again = jsonOf(absync([src, dst, '--json']));
    assert.deepEqual([again['copied'], again['updated']], [0, 0], JSON.stringify(again));
  });
});
