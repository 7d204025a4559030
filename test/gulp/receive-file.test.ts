/** The plugin's per-file step on Windows paths: vinyl's `file.relative` uses `\` there, RelPaths use `/`. */
import assert from 'node:assert/strict';
import { win32 } from 'node:path';
import { test } from 'node:test';
import { receiveFile, toSlashes } from '../../src/plugin/receive-file.js';
import type { VinylFile } from '../../src/plugin/vinyl-file.js';

/** A vinyl file as vinyl makes it on Windows: paths and `relative` by path.win32. */
function windowsVinyl(base: string, path: string): VinylFile {
  return {
    path, base, relative: win32.relative(base, path), contents: Buffer.from('x'), stat: null,
    isBuffer: () => true, isStream: () => false, isNull: () => false, isDirectory: () => false, isSymbolic: () => false,
  };
}

const noExcludes = (): boolean => false;

test('file.relative with \\ becomes a /-separated path once, at the face (Windows)', () => {
  const file = windowsVinyl('C:\\site', 'C:\\site\\css\\deep\\a.css');
  assert.equal(file.relative, 'css\\deep\\a.css');
  const r = receiveFile(file, '/dst', noExcludes, '\\');
  assert.ok(!('error' in r), JSON.stringify(r));
  assert.equal(r.path, 'css/deep/a.css');
  assert.equal(toSlashes('a\\b\\c.txt', '\\'), 'a/b/c.txt');
});

test('elsewhere a \\ is part of a name; escaping and absolute paths are refused either way', () => {
  assert.equal(toSlashes('a\\b.txt', '/'), 'a\\b.txt');
  const escaping = windowsVinyl('C:\\site\\sub', 'C:\\site\\x.txt');
  assert.equal(escaping.relative, '..\\x.txt');
  for (const sep of ['\\', '/']) {
    const r = receiveFile(escaping, '/dst', noExcludes, sep);
    assert.ok('error' in r && /escapes the destination/.test(r.error), `${sep}: ${JSON.stringify(r)}`);
  }
  const drive = windowsVinyl('C:\\site', 'D:\\other\\x.txt');
  const r = receiveFile(drive, '/dst', noExcludes, '\\');
  assert.ok('error' in r && /absolute path/.test(r.error), JSON.stringify(r));
});

test('macOS: a name gulp.src read back as NFD is keyed by its NFC form, as the engine keys the destination there', () => {
  const nfd = 'cafe\u0301/men\u0303u.txt';
  const file: VinylFile = {
    path: `/site/${nfd}`, base: '/site', relative: nfd, contents: Buffer.from('x'), stat: null,
    isBuffer: () => true, isStream: () => false, isNull: () => false, isDirectory: () => false, isSymbolic: () => false,
  };
  const mac = receiveFile(file, '/dst', noExcludes, '/', true);
  assert.ok(!('error' in mac), JSON.stringify(mac));
  assert.equal(mac.path, 'caf\u00e9/me\u00f1u.txt');
  // Elsewhere both forms are distinct names on disk and stay as they are.
  const linux = receiveFile(file, '/dst', noExcludes, '/', false);
  assert.ok(!('error' in linux), JSON.stringify(linux));
  assert.equal(linux.path, nfd);
});
