/**
 * The exec scan's parser on find's real output, without a server: the same `find -printf` command run here on hostile
 * names, against the local scan of the same folder. The parser reads numbers and names
 * from the bytes themselves, so each field's edge gets a case.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FindParser, findCommand, findRecords, parseFindOutput } from '../../src/engine/backends/sftp/scan-exec.js';
import { entryLines, localEntries } from '../helpers/remote.js';
import { tmp, writeTree } from '../helpers/tree.js';

const NO_RULES = { exclude: [], include: [] };

function findOutput(root: string): Buffer {
  const out = execFileSync('sh', ['-c', findCommand(root)], { maxBuffer: 1 << 30 });
  const records = findRecords(out);
  assert.ok(records, 'find printed its marker');
  return records;
}

function hostileTree(): string {
  const dir = writeTree(tmp(), {
    'with space/a b c.txt': 'spaced',
    'new\nline': 'newline',
    'ünïcödé/日本語.txt': 'unicode',
    'exec.sh': { data: '#!/bin/sh\n', mode: 0o4755 },
    'zero': '',
    'link-rel': { link: 'with space/a b c.txt' },
    'link-spaces': { link: 'a b\nc' },
    'deep/a/b/c/d.bin': { data: new Uint8Array([0, 1, 255]), mode: 0o600 },
    'U+FFFD \uFFFD.txt': 'the replacement character itself is a valid name',
  });
  writeFileSync(join(dir, 'whole-second'), 'x');
  utimesSync(join(dir, 'whole-second'), 1_600_000_000, 1_600_000_000);
  writeFileSync(join(dir, 'before-1970'), 'x');
  // Node's utimes takes a negative time for "now": touch sets it.
  execFileSync('touch', ['-d', '@-1000.25', join(dir, 'before-1970')]);
  writeFileSync(join(dir, 'before-1970-ns'), 'x');
  execFileSync('touch', ['-d', '@-1000.2500005', join(dir, 'before-1970-ns')]);
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  return dir;
}

describe('find output parser', () => {
  it('reads find\'s output of hostile names exactly as the local scan reads the folder', async () => {
    const dir = hostileTree();
    const parsed = parseFindOutput(findOutput(dir), 'L', { side: 'destination', rules: NO_RULES });
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.why);
    assert.deepEqual(entryLines(parsed.snapshot.entries), entryLines(await localEntries(dir)));
    assert.equal(parsed.snapshot.entries.get('before-1970')?.kind, 'file');
    assert.equal((parsed.snapshot.entries.get('before-1970') as { mtimeMs: number }).mtimeMs, -1000250);
    // -1000.2500005 s is -1,000,250,000.5 us: toward zero, as the local scans divide.
    assert.equal((parsed.snapshot.entries.get('before-1970-ns') as { mtimeMs: number }).mtimeMs, -1000250);
    assert.equal((parsed.snapshot.entries.get('whole-second') as { mtimeMs: number }).mtimeMs, 1_600_000_000_000);
    assert.equal((parsed.snapshot.entries.get('exec.sh') as { mode: number }).mode & 0o7777, 0o4755);
  });

  it('skips a name or a link target that is not UTF-8 with a warning, and everything below such a folder', () => {
    const dir = tmp();
    const bad = Buffer.from([0x62, 0x61, 0x64, 0xff]);
    const at = (...parts: (string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    writeFileSync(at(dir, '/ok.txt'), 'ok');
    writeFileSync(at(dir, '/', bad, '.txt'), 'x');
    mkdirSync(at(dir, '/', bad, '-dir'));
    writeFileSync(at(dir, '/', bad, '-dir/inner'), 'x');
    symlinkSync(at('target-', bad), join(dir, 'bad-target'));
    const parsed = parseFindOutput(findOutput(dir), 'L', { side: 'destination', rules: NO_RULES });
    assert.ok(parsed.ok);
    assert.deepEqual([...parsed.snapshot.entries.keys()].sort(), ['ok.txt']);
    const warned = (parsed.snapshot.warnings ?? []).map((w) => w.message).sort();
    assert.deepEqual(warned, ['link target is not valid UTF-8; skipped', 'name is not valid UTF-8; skipped', 'name is not valid UTF-8; skipped']);
  });

  it('reads the same entries from output pushed in pieces of any size, records cut anywhere', () => {
    const out = findOutput(hostileTree());
    const req = { side: 'destination', rules: NO_RULES } as const;
    const whole = parseFindOutput(out, 'L', req);
    assert.ok(whole.ok);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const parser = new FindParser('L', req);
      for (let i = 0; i < out.length; i += size) parser.push(out.subarray(i, i + size));
      const pieced = parser.end();
      assert.ok(pieced.ok, `pieces of ${size}`);
      assert.deepEqual(entryLines(pieced.snapshot.entries), entryLines(whole.snapshot.entries), `pieces of ${size}`);
      assert.deepEqual(pieced.snapshot.rootEntry, whole.snapshot.rootEntry);
      assert.deepEqual(pieced.snapshot.warnings, whole.snapshot.warnings);
    }
    const cut = new FindParser('L', req);
    cut.push(out.subarray(0, out.length - 3));
    assert.equal(cut.end().ok, false, 'output cut mid-record');
  });

  it('refuses output it cannot trust: cut mid-record, a record without its fields, no root', () => {
    const out = findOutput(hostileTree());
    const req = { side: 'destination', rules: NO_RULES } as const;
    const cut = parseFindOutput(out.subarray(0, out.length - 3), 'L', req);
    assert.equal(cut.ok, false);
    assert.equal(parseFindOutput(Buffer.from('f 644 1\0\0'), 'L', req).ok, false);
    assert.equal(parseFindOutput(Buffer.from('f 644 1 1.5 7 name\0\0'), 'L', req).ok, false, 'no root record');
    assert.equal(parseFindOutput(Buffer.from('ff 644 1 1.5 7 \0\0'), 'L', req).ok, false, 'a type of two letters');
  });
});
