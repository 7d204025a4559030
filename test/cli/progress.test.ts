/** --progress on a real terminal (a pty made by util-linux `script`), off a terminal, and off. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, CLI } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const ESC = '\u001b';

function source(root: string, n = 300): string {
  const spec: Record<string, string> = {};
  for (let i = 0; i < n; i++) spec[`d${i % 10}/f${i}.txt`] = `file ${i} `.repeat(100);
  return writeTree(join(root, 'src'), spec);
}

/** Runs the bin on a pseudo-terminal (stdout and stderr both the terminal) and returns what the terminal got. */
function onTerminal(args: string[]): { code: number | null; text: string } {
  const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: '100' } });
  return { code: r.status, text: r.stdout };
}

/** The terminal's text with escape sequences and carriage-return overwrites resolved, line by line. */
function screen(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = '';
    // Each ESC[...G / \r goes back to column 1; ESC[K / ESC[2K clears; what is written after overwrites.
    for (const part of raw.split(new RegExp(`\r|${ESC}\\[1G|${ESC}\\[0?G`))) {
      const cleared = part.split(new RegExp(`${ESC}\\[[0-2]?K`));
      const text = cleared.join('');
      line = text + line.slice(text.length);
      if (cleared.length > 1) line = text;
    }
    lines.push(line);
  }
  return lines.filter((l) => l !== '');
}

describe('--progress', () => {
  it('on a terminal: one self-overwriting line with files, bytes, percent, cleared at the end', { skip: HAS_SCRIPT ? false : 'util-linux script is not installed' }, () => {
    const root = tmp();
    const src = source(root);
    const dst = join(root, 'dst');
    const r = onTerminal([src, dst, '--progress']);
    assert.equal(r.code, 0, r.text);
    // Drawn: at least once with the totals, always over the same line (no newline between two drawings).
    assert.match(r.text, /\d+\/300 files, [\d.]+ (B|KiB|MiB)\/[\d.]+ KiB, \d+%/);
    const drawn = r.text.match(new RegExp(`${ESC}\\[1G[^\\n]*?files`, 'g')) ?? [];
    assert.ok(drawn.length >= 1, r.text);
    // Cleared: the last thing done to the progress line is erasing it, and the summary is printed on a clean line.
    const lastDraw = r.text.lastIndexOf(' files, ');
    const clearedAt = r.text.indexOf(`${ESC}[2K`, lastDraw);
    assert.ok(clearedAt > lastDraw, 'the line is cleared after its last drawing');
    assert.deepEqual(screen(r.text).filter((l) => l.includes('files,')), [], 'no progress line is left on the screen');
    assert.match(screen(r.text).at(-1) ?? '', /^synced .* copied 300,/);
    assertMirror(src, dst);
  });

  it('on a terminal with -v: every action line reaches the screen whole, and the progress line is gone at the end', { skip: HAS_SCRIPT ? false : 'util-linux script is not installed' }, () => {
    const root = tmp();
    const src = source(root);
    const r = onTerminal([src, join(root, 'dst'), '--progress', '-v']);
    assert.equal(r.code, 0, r.text);
    const shown = screen(r.text);
    assert.equal(shown.filter((l) => /^create\s+d\d\/f\d+\.txt \(\d+ bytes\)$/.test(l)).length, 300, shown.slice(0, 20).join('\n'));
    assert.deepEqual(shown.filter((l) => l.includes('files,')), []);
  });

  it('off a terminal: a plain line when the totals are known and one at the end, on stderr; stdout untouched', () => {
    const root = tmp();
    const src = source(root);
    const r = absync([src, join(root, 'dst'), '--progress', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0] ?? '', /^absync: progress: 0\/300 files, 0 B\/[\d.]+ KiB, 0%$/);
    assert.match(lines.at(-1) ?? '', /^absync: progress: 300\/300 files, ([\d.]+ KiB)\/\1, 100%/);
    assert.doesNotMatch(r.stderr, new RegExp(ESC));
    assert.equal(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}').copied, 300);
  });

  it('off: nothing of it is printed', () => {
    const root = tmp();
    const src = source(root, 20);
    const r = absync([src, join(root, 'dst')]);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    assert.doesNotMatch(r.stdout, /progress|files,/);
  });
});
