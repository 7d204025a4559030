/** The gulp plugin over real gulp.src streams and hand-made vinyl files, checked on disk. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import gulp from 'gulp';
import PluginError from 'plugin-error';
import Vinyl from 'vinyl';
import { absync, type Summary } from '../../src/index.js';
import { assertMirror, inodes, readTree, tmp, writeTree } from '../helpers/tree.js';
import { actions, collect, mirror, rel, vinyl, type Out } from './streams.js';
import { NEEDS_MODES, NEEDS_SYMLINKS } from '../helpers/platform.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 * 4 }, (_, i) => (i * 7) % 256));
const T = 1_600_000_000;

function site(root: string): string {
  return writeTree(join(root, 'src'), {
    'index.html': { data: '<h1>hi</h1>\n', mtime: T },
    'img/all-bytes.bin': { data: ALL_BYTES, mtime: T },
    'private/key.txt': { data: 'secret', mode: 0o600, mtime: T + 5 },
    empty: { dir: true },
    'link.html': { link: 'index.html' },
    '.hidden': 'dot file',
  });
}

const src = (dir: string, options: Parameters<typeof gulp.src>[1] = {}) =>
  gulp.src(join(dir, '**'), { dot: true, encoding: false, resolveSymlinks: false, ...options });

/** Replaces the contents of the named files as a build step would, keeping their stat (so their old mtime). */
function rewrite(changes: Record<string, string>): Transform {
  return new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, done) {
      const next = changes[file.relative];
      if (next !== undefined) file.contents = Buffer.from(next);
      done(null, file);
    },
  });
}

async function captureStdout<T>(fn: () => Promise<T>): Promise<{ result: { out: T; stdout: string } }> {
  const original = process.stdout.write;
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    const out = await fn();
    return { result: { out, stdout: text } };
  } finally {
    process.stdout.write = original;
  }
}

async function captureStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const original = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await fn(), stderr: text };
  } finally {
    process.stderr.write = original;
  }
}

test('buffers from gulp.src (encoding: false) mirror byte-exact with modes, mtimes and links; files pass on tagged', { skip: NEEDS_SYMLINKS || NEEDS_MODES }, async () => {
  const root = tmp();
  const dir = site(root);
  const dst = join(root, 'dst');
  const first = await mirror(src(dir), dst);
  assertMirror(dir, dst);
  assert.deepEqual(readFileSync(join(dst, 'img/all-bytes.bin')), ALL_BYTES);
  assert.deepEqual(actions(first), {
    '.hidden': 'copied', empty: 'created', img: 'created', 'img/all-bytes.bin': 'copied', 'index.html': 'copied',
    'link.html': 'copied', private: 'created', 'private/key.txt': 'copied',
  });
  assert.ok(first.filter((f) => !f.isDirectory() && !f.isSymbolic()).every((f) => f.isBuffer()), 'contents stay Buffers');

  const before = inodes(dst);
  const second = await mirror(src(dir), dst);
  assert.ok(Object.values(actions(second)).every((a) => a === 'unchanged'), JSON.stringify(actions(second)));
  assert.deepEqual(inodes(dst), before, 'a second run touches nothing');
});

test('null contents (read: false) are copied from file.path with the quick check (size + mtime)', async () => {
  const root = tmp();
  const dir = site(root);
  const dst = join(root, 'dst');
  const first = await mirror(src(dir, { read: false }), dst);
  assertMirror(dir, dst);
  assert.ok(first.every((f) => f.isNull()), 'contents stay null');

  // Same size and mtime, other bytes: the quick check calls it unchanged and reads nothing.
  writeFileSync(join(dir, 'index.html'), '<h1>HI</h1>\n');
  utimesSync(join(dir, 'index.html'), T, T);
  const second = await mirror(src(dir, { read: false }), dst);
  assert.equal(actions(second)['index.html'], 'unchanged');
  assert.equal(readFileSync(join(dst, 'index.html'), 'utf8'), '<h1>hi</h1>\n');

  utimesSync(join(dir, 'index.html'), T + 60, T + 60);
  const third = await mirror(src(dir, { read: false }), dst);
  assert.equal(actions(third)['index.html'], 'updated');
  assertMirror(dir, dst);
});

test('a Buffer is compared by content: changed bytes with the old mtime are written, identical bytes are not', async () => {
  const root = tmp();
  const dir = writeTree(join(root, 'src'), { 'a.txt': { data: 'hello', mtime: T }, 'b.txt': { data: 'world', mtime: T } });
  const dst = join(root, 'dst');
  await mirror(src(dir), dst);

  const changed = await mirror(src(dir).pipe(rewrite({ 'a.txt': 'HELLO' })), dst);
  assert.deepEqual(actions(changed), { 'a.txt': 'updated', 'b.txt': 'unchanged' });
  assert.equal(readFileSync(join(dst, 'a.txt'), 'utf8'), 'HELLO');
  assert.equal(statSync(join(dst, 'a.txt')).mtimeMs, T * 1000, 'the mtime still comes from file.stat');

  const ino = statSync(join(dst, 'a.txt')).ino;
  const again = await mirror(src(dir).pipe(rewrite({ 'a.txt': 'HELLO' })), dst);
  assert.deepEqual(actions(again), { 'a.txt': 'unchanged', 'b.txt': 'unchanged' });
  assert.equal(statSync(join(dst, 'a.txt')).ino, ino, 'identical content is not rewritten');
});

test('made-up vinyl files: Buffers without stat get mode 644; parents of files become folders', { skip: NEEDS_MODES }, async () => {
  const root = tmp();
  const dst = join(root, 'dst');
  const out = await mirror([vinyl(join(root, 'in'), 'deep/er/file.txt', Buffer.from('made up'))], dst);
  assert.deepEqual(actions(out), { 'deep/er/file.txt': 'copied' });
  const tree = readTree(dst, { mtimes: false });
  assert.match(tree['deep/er/file.txt'] ?? '', /^file 7 \w+ 644$/);
  assert.match(tree.deep ?? '', /^dir 755$/);
  assert.match(tree['deep/er'] ?? '', /^dir 755$/);
});

test('stream contents (buffer: false) mirror byte-exact and pass on a readable stream of the same bytes', async () => {
  const root = tmp();
  const dir = site(root);
  const dst = join(root, 'dst');
  const out = await mirror(src(dir, { buffer: false }), dst);
  assertMirror(dir, dst);
  const bin = out.find((f) => rel(f) === 'img/all-bytes.bin') as Out;
  assert.ok(bin.isStream());
  const chunks: Buffer[] = [];
  for await (const c of bin.contents as Readable) chunks.push(c as Buffer);
  assert.deepEqual(Buffer.concat(chunks), ALL_BYTES);

  // A stream whose bytes differ from the file on disk, same size and mtime: content decides.
  const streamed = vinyl(dir, 'index.html', Readable.from([Buffer.from('<h1>HI</h1>\n')]), statSync(join(dir, 'index.html')));
  const second = await mirror([streamed], dst, { delete: false });
  assert.deepEqual(actions(second), { 'index.html': 'updated' });
  assert.equal(readFileSync(join(dst, 'index.html'), 'utf8'), '<h1>HI</h1>\n');
});

test('gulp 5 defaults (utf8, BOM removed): unchanged contents are mirrored with the file\'s own bytes, no warning', async () => {
  const root = tmp();
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a;b\n1;2\n')]);
  const dir = writeTree(join(root, 'src'), { 'logo.bin': ALL_BYTES, 'page.txt': 'plain text ü', 'table.csv': bom });
  for (const buffer of [true, false]) {
    const dst = join(root, `dst-${buffer}`);
    const { result: out, stderr } = await captureStderr(() => mirror(gulp.src(join(dir, '**'), { buffer }), dst));
    assertMirror(dir, dst);
    assert.deepEqual(readFileSync(join(dst, 'table.csv')), bom, 'the byte order mark is kept');
    assert.ok(out.every((f) => f.absync?.warning === undefined), `buffer: ${buffer}`);
    assert.doesNotMatch(stderr, /WARNING/);
    // What passes on is what gulp read (the decoded bytes), not the file's.
    const csv = out.find((f) => f.relative === 'table.csv') as Out;
    const chunks: Buffer[] = [];
    if (csv.isStream()) for await (const c of csv.contents as Readable) chunks.push(c as Buffer);
    const passed = csv.isBuffer() ? (csv.contents as Buffer) : Buffer.concat(chunks);
    assert.equal(passed.length, bom.length - 3, `buffer: ${buffer}`);
  }
});

test('a binary file decoded as utf8 and then changed by a plugin is mirrored as changed, with a warning', async () => {
  const root = tmp();
  const dir = writeTree(join(root, 'src'), { 'logo.bin': ALL_BYTES, 'page.txt': 'plain text ü' });
  const dst = join(root, 'dst');
  const edit = new Transform({
    objectMode: true,
    transform(file: Vinyl, _enc, done) {
      file.contents = Buffer.concat([file.contents as Buffer, Buffer.from('!')]);
      done(null, file);
    },
  });
  const { result: out, stderr } = await captureStderr(() => mirror(gulp.src(join(dir, '**')).pipe(edit), dst));
  const byName = Object.fromEntries(out.map((f) => [rel(f), f.absync]));
  assert.match(byName['logo.bin']?.warning ?? '', /decoded as utf8 by gulp\.src, which lost some of its bytes, then changed by a plugin.*encoding: false/);
  assert.equal(byName['page.txt']?.warning, undefined, 'valid utf8 changed by a plugin is just changed');
  assert.match(stderr, /WARNING: 1 file\(s\) look like binary files decoded as utf8.*logo\.bin.*encoding: false/);
  assert.equal(readFileSync(join(dst, 'page.txt'), 'utf8'), 'plain text ü!');
  assert.notDeepEqual(readFileSync(join(dst, 'logo.bin')), ALL_BYTES);
});

test('at the end of the stream, what it did not carry is deleted, except excluded entries', async () => {
  const root = tmp();
  const dir = writeTree(join(root, 'src'), { 'a.txt': 'new a', 'keep/new.txt': 'n', 'notes.log': 'not mirrored' });
  const dst = writeTree(join(root, 'dst'), {
    'a.txt': 'old a', 'old.txt': 'gone', 'olddir/x/y.txt': 'gone', 'debug.log': 'kept', 'cache/z.bin': 'kept',
  });
  const out = await mirror(src(dir), dst, { exclude: ['*.log', 'cache/'] });
  assert.deepEqual(Object.keys(readTree(dst, { mtimes: false })).sort(), [
    'a.txt', 'cache', 'cache/z.bin', 'debug.log', 'keep', 'keep/new.txt',
  ]);
  assert.equal(readFileSync(join(dst, 'a.txt'), 'utf8'), 'new a');
  assert.equal(readFileSync(join(dst, 'debug.log'), 'utf8'), 'kept');
  assert.equal(actions(out)['notes.log'], 'excluded');
  assert.equal(out.length, 4, 'excluded files still pass on');
});

test('changedOnly passes on only the copied, updated and moved files', async () => {
  const root = tmp();
  const dir = writeTree(join(root, 'src'), { 'a.txt': 'aaa', 'b.txt': 'bbbb', 'c.txt': 'c content', 'sub/d.txt': 'd' });
  const dst = join(root, 'dst');
  const first = await mirror(src(dir), dst, { changedOnly: true });
  assert.deepEqual(first.map(rel).sort(), ['a.txt', 'b.txt', 'c.txt', 'sub/d.txt']);

  writeFileSync(join(dir, 'a.txt'), 'AAA!');
  writeFileSync(join(dir, 'e.txt'), 'new');
  renameSync(join(dir, 'c.txt'), join(dir, 'c2.txt'));
  let summary: Summary | undefined;
  const plugin = absync(dst, { changedOnly: true });
  plugin.on('summary', (s: Summary) => (summary = s));
  const second = await collect(src(dir).pipe(plugin));
  assert.deepEqual(actions(second), { 'a.txt': 'updated', 'c2.txt': 'moved', 'e.txt': 'copied' });
  assert.equal(summary?.moved, 1);
  assert.equal(summary?.deleted, 0, 'c.txt was moved, not deleted and copied');
  assert.deepEqual(await mirror(src(dir), dst, { changedOnly: true }), []);
});

test('a stream nobody reads still finishes: 40 files, no reader', { timeout: 20_000 }, async () => {
  const root = tmp();
  const dst = join(root, 'dst');
  const files = Array.from({ length: 40 }, (_, i) => vinyl(join(root, 'in'), `f${i}.txt`, Buffer.from(`file ${i}`)));
  const stream = Readable.from(files, { objectMode: true }).pipe(absync(dst));
  await finished(stream);
  assert.equal(Object.keys(readTree(dst)).length, 40);

  // And as the last step of a gulp task, which is how gulp.dest is used.
  const dst2 = join(root, 'dst2');
  const task = () => gulp.src(join(root, 'dst', '*.txt'), { encoding: false }).pipe(absync(dst2));
  await new Promise<void>((resolve, reject) => gulp.series(task)((err) => (err ? reject(err) : resolve())));
  assertMirror(dst, dst2);
});

test('a dry run writes nothing and tags files with what would happen', async () => {
  const root = tmp();
  const dir = writeTree(join(root, 'src'), { 'a.txt': 'a' });
  const dst = writeTree(join(root, 'dst'), { 'old.txt': 'old' });
  const out = await mirror(src(dir), dst, { dryRun: true });
  assert.deepEqual(out.map((f) => f.absync), [{ action: 'copied', path: 'a.txt', dryRun: true }]);
  assert.deepEqual(Object.keys(readTree(dst)), ['old.txt']);
});

function isPluginError(pattern: RegExp, fileName?: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof PluginError, `not a PluginError: ${String(err)}`);
    assert.equal(err.plugin, 'gulp-absync');
    assert.match(err.message, pattern);
    if (fileName !== undefined) assert.equal(err.fileName, fileName);
    return true;
  };
}

test('a path that escapes the destination is a PluginError naming it, and nothing is written', async () => {
  const root = tmp();
  const dst = join(root, 'dst');
  const good = vinyl(join(root, 'in'), 'ok.txt', Buffer.from('ok'));
  const escaping = new Vinyl({ cwd: root, base: join(root, 'sub'), path: join(root, 'x.txt'), contents: Buffer.from('x') });
  await assert.rejects(mirror([good, escaping], dst), isPluginError(/"\.\.\/x\.txt" escapes the destination/, escaping.path));

  for (const [relative, why] of [['/etc/passwd', /absolute/], ['C:\\Windows\\x.dll', /absolute/], ['C:/x', /absolute/], ['..\\x', /escapes/]] as const) {
    const file = vinyl(join(root, 'in'), 'y.txt', Buffer.from('y'));
    Object.defineProperty(file, 'relative', { get: () => relative });
    await assert.rejects(mirror([good, file], dst), isPluginError(why, file.path), relative);
  }
  assert.equal(existsSync(dst), false);
});

test('gulp 5 defaults with buffer: false: large binary files arrive whole (the decoded stream is never paused), exact', { timeout: 60_000 }, async () => {
  // vinyl-fs 4's decoded streams lose their last chunks and close without 'end' when paused (gulp.dest then writes
  // them short): a spool that paused them waited forever, or, with luck, got them whole.
  const root = tmp();
  const spec: Record<string, Buffer> = {};
  for (let i = 0; i < 6; i++) spec[`big${i}.bin`] = randomBytes(3 * 1024 * 1024);
  const dir = writeTree(join(root, 'src'), spec);
  const dst = join(root, 'dst');
  const out = await mirror(gulp.src(join(dir, '**'), { buffer: false }), dst);
  assert.equal(out.length, 6);
  assertMirror(dir, dst, { dirMtimes: false });
});

test('a contents stream that closes before its end is a PluginError naming the file; the rest is mirrored, its old copy stays', async () => {
  const root = tmp();
  const base = join(root, 'in');
  const dst = writeTree(join(root, 'dst'), { 'cut.bin': 'the old copy' });
  let sent = false;
  const cut = new Readable({
    read() {
      if (sent) return;
      sent = true;
      this.push(Buffer.from('half of it'));
      setImmediate(() => this.destroy());
    },
  });
  const files = [vinyl(base, 'ok.txt', Buffer.from('ok')), vinyl(base, 'cut.bin', cut)];
  await assert.rejects(mirror(files, dst), isPluginError(/1 entry could not be mirrored[\s\S]*cut\.bin: .*contents stream closed before its end, after 10 bytes/, join(base, 'cut.bin')));
  assert.equal(readFileSync(join(dst, 'ok.txt'), 'utf8'), 'ok');
  assert.equal(readFileSync(join(dst, 'cut.bin'), 'utf8'), 'the old copy');
});

test('an unwritable destination or entry is a PluginError with the path and the cause', { skip: NEEDS_MODES }, async () => {
  const root = tmp();
  writeTree(root, { 'a-file': 'not a folder' });
  const good = vinyl(join(root, 'in'), 'ok.txt', Buffer.from('ok'));
  const under = join(root, 'a-file', 'dst');
  await assert.rejects(mirror([good], under), isPluginError(/not a (folder|directory)/, under));

  const dst = join(root, 'dst');
  const long = vinyl(join(root, 'in'), `${'n'.repeat(300)}.txt`, Buffer.from('too long a name'));
  await assert.rejects(mirror([good, long], dst), isPluginError(/1 entry could not be mirrored.*\n.*nnnn\.txt: copy: name too long \(ENAMETOOLONG\)/, long.path));
  assert.equal(readFileSync(join(dst, 'ok.txt'), 'utf8'), 'ok', 'one bad file does not stop the others');
});

test('a file from inside the destination, or a file that is also a folder, is refused', async () => {
  const root = tmp();
  const dst = writeTree(join(root, 'dst'), { 'x.txt': 'x' });
  await assert.rejects(mirror([vinyl(dst, 'x.txt', null)], dst), isPluginError(/inside the destination/));
  const clash = [vinyl(join(root, 'in'), 'a', Buffer.from('file')), vinyl(join(root, 'in'), 'a/b.txt', Buffer.from('below a file'))];
  await assert.rejects(mirror(clash, join(root, 'dst2')), isPluginError(/a is a file in the stream but also the folder of a\/b\.txt/));
});

test('bad arguments throw when absync() is called, not in the stream', () => {
  assert.throws(() => absync(''), isPluginError(/dest must be a non-empty folder path/));
  assert.throws(() => absync('out', { bogus: 1 } as never), isPluginError(/unknown option "bogus"/));
  assert.throws(() => absync('out', { changedOnly: 'yes' } as never), isPluginError(/changedOnly must be true or false/));
  assert.throws(() => absync('out', { source: 'src' } as never), isPluginError(/"source" is not a plugin option/));
  assert.throws(() => absync('out', { concurrency: 0 }), isPluginError(/concurrency must be a whole number >= 1/));
});

test('a partial stream keeps what still exists under its base; onlyStreamed deletes it; an empty stream changes nothing', async () => {
  const root = tmp();
  const dir = writeTree(join(root, 'src'), { 'a.txt': 'a', 'b.txt': 'b', 'sub/c.txt': 'c' });
  const dst = join(root, 'dst');
  await mirror(src(dir), dst);
  writeTree(join(dir), { 'a.txt': 'A!' });
  writeTree(dst, { 'stray.txt': 'not in src' });
  const partial = await mirror(gulp.src(join(dir, 'a.txt'), { base: dir, encoding: false }), dst);
  assert.deepEqual(actions(partial), { 'a.txt': 'updated' });
  assert.deepEqual(Object.keys(readTree(dst)).sort(), ['a.txt', 'b.txt', 'sub', 'sub/c.txt'], 'stray.txt goes, b.txt and sub stay');

  const { stderr: quiet } = await captureStderr(async () => {
    const { result } = await captureStdout(() => mirror(gulp.src(join(root, 'nothing', '**')), dst));
    assert.deepEqual(result.out, []);
    assert.match(result.stdout, /the stream carried no files: nothing to mirror, .*dst left as it is/);
  });
  assert.equal(quiet, '');
  assert.deepEqual(Object.keys(readTree(dst)).sort(), ['a.txt', 'b.txt', 'sub', 'sub/c.txt']);

  await mirror(gulp.src(join(dir, 'a.txt'), { base: dir, encoding: false }), dst, { onlyStreamed: true });
  assert.deepEqual(Object.keys(readTree(dst)), ['a.txt']);
  await mirror([], dst, { allowEmptySource: true });
  assert.deepEqual(readTree(dst), {});
  assert.throws(() => absync('out', { onlyStreamed: 1 } as never), isPluginError(/onlyStreamed must be true or false/));
});

test('symlinks keep their text as on disk; files gulp reached through a streamed link are left to it', { skip: NEEDS_SYMLINKS }, async () => {
  const root = tmp();
  const dir = writeTree(join(root, 'src'), {
    'index.html': 'home', 'docs/a.txt': 'a', 'link.html': { link: './docs/../index.html' }, latest: { link: 'docs' },
  });
  const dst = join(root, 'dst');
  const out = await mirror(src(dir), dst);
  assert.equal(readlinkSync(join(dst, 'link.html')), './docs/../index.html');
  assert.equal(readlinkSync(join(dst, 'latest')), 'docs');
  assert.equal(actions(out)['latest/a.txt'], 'skipped');
  assertMirror(dir, dst);
});

test('a destination inside the stream\'s base is refused at its first file, before anything is written', async () => {
  const root = tmp();
  const dir = writeTree(join(root, 'site'), { 'a.txt': 'a' });
  await assert.rejects(mirror(src(dir), join(dir, 'deploy')), isPluginError(/the destination .*site[\\/]deploy is inside .*site, the folder the stream's files come from/));
  await assert.rejects(mirror(src(dir), dir), isPluginError(/inside the destination/));
  assert.ok(!existsSync(join(dir, 'deploy')));
});
