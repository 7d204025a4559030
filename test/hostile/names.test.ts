/**
 * Issue 11, class 3 (names): the engine's reserved names never cost a user's file, a source name is mirrored or
 * warned about (never silently dropped), and hostile names (newlines, leading dashes, dot lookalikes, backslashes,
 * 255 bytes) are mirrored exactly.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { readTree, tmp, writeTree, type TreeSpec } from '../helpers/tree.js';
import { bothEngines } from './helpers/engines.js';
import { assertHonest, runBin, shown } from './helpers/run.js';

/** The summary's counts from a --json run. */
function counts(stdout: string): Record<string, number> {
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
}

describe('issue 11 names: user files that look like the engine\'s temporary files', () => {
  bothEngines('a user\'s .absync-tmp.report.pdf under a --protect\'ed folder survives (it is not a leftover)', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'index.html': 'i' });
    const dst = writeTree(join(root, 'dst'), { 'index.html': 'i', 'uploads/.absync-tmp.report.pdf': '%PDF a user upload', 'uploads/other.pdf': '%PDF' });
    const r = await runBin(engine, [src, dst, '--protect', 'uploads/**']);
    assertHonest(r);
    assert.equal(r.code, 0, shown(r));
    assert.ok(existsSync(join(dst, 'uploads/.absync-tmp.report.pdf')), 'the protected user file is still there');
    assert.equal(readFileSync(join(dst, 'uploads/.absync-tmp.report.pdf'), 'utf8'), '%PDF a user upload');
  });

  bothEngines('an unprotected .absync-tmp.report.pdf the source lacks goes to --backup-dir like any deleted file', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'index.html': 'i' });
    const dst = writeTree(join(root, 'dst'), { 'index.html': 'i', '.absync-tmp.report.pdf': '%PDF a user file' });
    const r = await runBin(engine, [src, dst, '--backup-dir', join(root, 'bak')]);
    assertHonest(r);
    const kept = existsSync(join(dst, '.absync-tmp.report.pdf')) || existsSync(join(root, 'bak', '.absync-tmp.report.pdf'));
    assert.ok(kept, `the file is in the destination or in the backup\n${shown(r)}`);
  });
});

describe('issue 11 names: source files named like the engine\'s reserved names', () => {
  const reserved = ['.absync.lock', '.absync-tmp.notes.txt', 'sub/.absync-tmp.x', 'sub/.absync.lock'];
  bothEngines(`${reserved.join(', ')} in the source are each mirrored or warned about, never silently dropped`, {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'a.txt': 'a', ...Object.fromEntries(reserved.map((n) => [n, `user data ${n}`])) });
    const dst = join(root, 'dst');
    const r = await runBin(engine, [src, dst]);
    assertHonest(r);
    const dropped = reserved.filter((n) => {
      const mirrored = existsSync(join(dst, n)) && readFileSync(join(dst, n), 'utf8') === `user data ${n}`;
      return !mirrored && !r.stderr.includes(n);
    });
    assert.deepEqual(dropped, [], `silently dropped (neither mirrored nor named on stderr): ${dropped.join(', ')}\n${shown(r)}`);
  });
});

describe('issue 11 names: a name that is not UTF-8 next to its U+FFFD twin', () => {
  bothEngines('the valid twin is mirrored with its own bytes, and the invalid name is warned about', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'ok.txt': 'ok' });
    // f\xff.t is not UTF-8; f\uFFFD.t is its twin (what a decoder makes of it), a valid name of its own.
    writeFileSync(Buffer.concat([Buffer.from(`${src}/`), Buffer.from([0x66, 0xff, 0x2e, 0x74])]), 'the latin-1 file');
    writeFileSync(join(src, 'f\uFFFD.t'), 'the valid twin');
    const dst = join(root, 'dst');
    const r = await runBin(engine, [src, dst]);
    assertHonest(r);
    assert.equal(readFileSync(join(dst, 'f\uFFFD.t'), 'utf8'), 'the valid twin', `the twin is mirrored with its own bytes\n${shown(r)}`);
    assert.match(r.stderr, /not valid UTF-8/, `the invalid name is warned about\n${shown(r)}`);
    const raw = readdirSync(dst, { encoding: 'buffer' });
    assert.ok(!raw.some((n) => n.equals(Buffer.from([0x66, 0xff, 0x2e, 0x74]))), 'the invalid name is not written (the engine never writes one)');
  });
});

describe('issue 11 names: hostile names are mirrored exactly', () => {
  const names = [
    'new\nline',
    'carriage\rreturn',
    'tab\there',
    ' leading space',
    'trailing space ',
    '-rf',
    '--help',
    '-',
    '...',
    '..a',
    '. .',
    '.. ',
    'back\\slash',
    '\\..\\..\\escape',
    'glob*?[x]{a,b}',
    '~',
    '$HOME',
    'caf\u00e9',
    'cafe\u0301',
    '\u{1F600}',
    'x'.repeat(255),
    '\u00e9'.repeat(127),
  ];
  const spec: TreeSpec = {};
  for (const [i, n] of names.entries()) {
    spec[n] = { data: `file ${i}`, mode: 0o644, mtime: 1_600_000_000 + i };
    spec[`dir-${i}/${n}`] = { data: `nested ${i}`, mode: 0o600, mtime: 1_600_000_100 + i };
  }
  spec['dotdot-link'] = { link: '../../../../etc/passwd' };
  spec['dash-link'] = { link: '-rf' };

  bothEngines('a tree of them: exact mirror, exit 0, and a second run finds nothing to do', {}, async (engine) => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), spec);
    const dst = join(root, 'dst');
    const r = await runBin(engine, [src, dst, '--json']);
    assertHonest(r);
    assert.equal(r.code, 0, shown(r));
    assert.deepEqual(readTree(dst), readTree(src));
    const again = await runBin(engine, [src, dst, '--json']);
    assert.equal(again.code, 0, shown(again));
    const c = counts(again.stdout);
    assert.deepEqual([c['copied'], c['updated'], c['deleted'], c['moved']], [0, 0, 0, 0], shown(again));
  });

  bothEngines('roots named with leading dashes, after --', {}, async (engine) => {
    const root = tmp();
    writeTree(join(root, '-src'), { 'a.txt': 'a' });
    mkdirSync(join(root, '--dst'));
    const r = await runBin(engine, ['--', '-src', '--dst'], { cwd: root });
    assertHonest(r);
    assert.equal(r.code, 0, shown(r));
    assert.deepEqual(readTree(join(root, '--dst')), readTree(join(root, '-src')));
  });
});
