/**
 * Issue 12, points 5 and 6: under gulp 5's defaults (utf8, BOM removed) the mirror has the files' exact bytes
 * (PNG, a font, every byte value, a BOM file, a binary whose decoded size equals its own), while gulp-replace edits
 * a text file in the same stream; a binary a plugin changed after the lossy decoding is warned about. Mtimes are
 * kept to the microsecond for Buffer and stream contents; symlinks keep their text as on disk, and a link to a
 * folder that gulp walks into is mirrored as the link.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readTree, type TreeSpec } from '../helpers/tree.js';
import { BOUNDED, consumerInstall, project } from './project.js';

before(() => consumerInstall(), { timeout: 600_000 });

/** Deterministic bytes of every value, so that most of them are not valid UTF-8. */
function noise(seed: string, n: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < n; i++) out.push(createHash('sha256').update(`${seed}${i}`).digest());
  return Buffer.concat(out).subarray(0, n);
}

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise('png', 3000)]);
const FONT = Buffer.concat([Buffer.from('wOF2'), noise('font', 5000)]);
const ALL_BYTES = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
/** 23 bytes, 20 once gulp removes the byte order mark. */
const BOM_CSV = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id;name\n1;a\n2;bb\n')]);
/** Each F0 9F 98 is one truncated 4-byte sequence: decoded, one U+FFFD of 3 bytes. Same size, other bytes. */
const SAME_SIZE = Buffer.concat(Array.from({ length: 50 }, () => Buffer.from([0xf0, 0x9f, 0x98, 0x41])));
/** Invalid UTF-8 and a word gulp-replace changes: lossy decoding, then a plugin's edit. */
const EDITED_BINARY = Buffer.concat([noise('edit', 200), Buffer.from(' hello '), noise('edit2', 200)]);

const FILES: TreeSpec = {
  'site/img/logo.png': PNG,
  'site/fonts/font.woff2': FONT,
  'site/all-bytes.bin': ALL_BYTES,
  'site/data/table.csv': BOM_CSV,
  'site/same-size.bin': SAME_SIZE,
  'site/page.txt': 'say hello to ünïcödé\n',
  'site/docs/a.txt': 'a\n',
  'site/index.html': '<h1>home</h1>\n',
  'site/link.html': { link: './docs/../index.html' },
  'site/latest': { link: 'docs' },
};

const GULPFILE = `
import gulp from 'gulp';
import replace from 'gulp-replace';
import { absync } from 'gulp-absync';

// gulp 5's defaults: no encoding: false, so files are decoded as utf8 and a BOM is removed.
const site = (options) => gulp.src('site/**', { dot: true, resolveSymlinks: false, ...options });
export const buffers = () => site({ ignore: ['site/edited.bin'] }).pipe(replace('hello', 'HELLO')).pipe(absync('out/buffers'));
export const streams = () => site({ buffer: false, ignore: ['site/edited.bin'] }).pipe(replace('hello', 'HELLO')).pipe(absync('out/streams'));
// gulp-replace leaves binary files alone unless told otherwise: then it edits the decoded (lossy) text.
export const edited = () => site().pipe(replace('hello', 'HELLO', { skipBinary: false })).pipe(absync('out/edited'));
`;

/** Nanosecond mtimes, one of them the value whose double rounds up across a microsecond. */
const MTIMES: Record<string, string> = {
  'site/page.txt': '1796110303.493630994',
  'site/img/logo.png': '1700000000.123456789',
  'site/data/table.csv': '1600000000.999999999',
  'site/index.html': '1796110303.493630994',
};

test('gulp 5 defaults: exact bytes and microsecond mtimes for Buffers and streams, gulp-replace edits in the same stream', BOUNDED, async () => {
  const p = await project({ type: 'module', files: { ...FILES, 'gulpfile.js': GULPFILE } });
  for (const [file, at] of Object.entries(MTIMES)) assert.equal(spawnSync('touch', ['-h', '-d', `@${at}`, join(p.dir, file)]).status, 0);

  const site = readTree(join(p.dir, 'site'), { dirMtimes: false });
  for (const task of ['buffers', 'streams']) {
    const r = p.gulp([task]);
    assert.equal(r.code, 0, r.output);
    assert.doesNotMatch(r.output, /WARNING/, task);
    const out = join(p.dir, 'out', task);
    const mirror = readTree(out, { dirMtimes: false });
    // The edited file differs in content only; every other entry is the source's, mtimes to the microsecond.
    assert.deepEqual({ ...mirror, 'page.txt': undefined }, { ...site, 'page.txt': undefined }, task);
    assert.equal(readFileSync(join(out, 'page.txt'), 'utf8'), 'say HELLO to ünïcödé\n', task);
    assert.match(mirror['page.txt'] ?? '', / @1796110303493630$/, `${task}: the mtime of a changed file is file.stat's`);
    for (const [name, bytes] of [['img/logo.png', PNG], ['fonts/font.woff2', FONT], ['all-bytes.bin', ALL_BYTES], ['data/table.csv', BOM_CSV], ['same-size.bin', SAME_SIZE]] as const) {
      assert.deepEqual(readFileSync(join(out, name)), bytes, `${task}: ${name}`);
    }
    assert.equal(readlinkSync(join(out, 'link.html')), './docs/../index.html', `${task}: the link's text as on disk`);
    assert.ok(lstatSync(join(out, 'latest')).isSymbolicLink(), `${task}: a link to a folder stays a link`);
    assert.equal(readlinkSync(join(out, 'latest')), 'docs');
  }
  const again = p.gulp(['buffers']);
  assert.equal(again.code, 0, again.output);
  assert.deepEqual(readTree(join(p.dir, 'out/buffers'), { dirMtimes: false })['all-bytes.bin'], site['all-bytes.bin'], 'a second run keeps it exact');
});

test('a binary that gulp-replace changed after the lossy utf8 decoding is mirrored as changed, and named in a warning', BOUNDED, async () => {
  const p = await project({ type: 'module', files: { ...FILES, 'site/edited.bin': EDITED_BINARY, 'gulpfile.js': GULPFILE } });
  const r = p.gulp(['edited']);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /gulp-absync: WARNING: 1 file\(s\) look like binary files decoded as utf8, and are mirrored corrupted: edited\.bin\. .*encoding: false/);
  const mirrored = readFileSync(join(p.dir, 'out/edited/edited.bin'));
  assert.ok(mirrored.includes(Buffer.from(' HELLO ')), 'the plugin\'s edit is mirrored');
  assert.notDeepEqual(mirrored.length, EDITED_BINARY.length);
  // Its neighbours in the same stream are exact.
  assert.deepEqual(readFileSync(join(p.dir, 'out/edited/img/logo.png')), PNG);
});
