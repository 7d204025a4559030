/**
 * Issue 11, class 3: never a silent wrong copy. A run that exits 0 has copied whole versions of its source files
 * (never bytes mixed from two versions, never content read through a link that was swapped in), and a later quiet
 * run never keeps a wrong copy because its stamp says it is current.
 */
import assert from 'node:assert/strict';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { readTree, tmp, writeTree, type TreeSpec } from '../helpers/tree.js';
import { canarySpec, contentHashes, makeCanary } from './helpers/canary.js';
import { bothEngines, type Todos } from './helpers/engines.js';
import { racerBinary, runWhileSwapping, startRacer } from './helpers/racer.js';
import { assertHonest, runBin, shown } from './helpers/run.js';

const noRacer = racerBinary().why;

/** 'A', 'B' for a file made of one byte value throughout (a whole version), else 'mixed' (or 'empty'). */
function versionOf(path: string): string {
  const data = readFileSync(path);
  if (data.length === 0) return 'empty';
  const first = data[0] as number;
  return data.indexOf(first === 0x41 ? 0x42 : 0x41) === -1 && (first === 0x41 || first === 0x42) ? String.fromCharCode(first) : 'mixed';
}

/** The mtime of every whole version of the rewritten file (the racer puts it back after each pass). */
const WHOLE_MTIME_NS = 1_600_000_000n * 1_000_000_000n;

describe('issue 11 wrong copies: a file rewritten in place during its copy, same size, mtime put back', { skip: noRacer }, () => {
  const todos: Todos = {};
  bothEngines('no run exits 0 with mixed bytes, and a later quiet run leaves a whole version', todos, async (engine) => {
    const root = tmp();
    // Big enough that a copy takes a while (128 MiB): the racer's passes land inside copies.
    const size = 128 << 20;
    const file = join(root, 'src', 'big.bin');
    mkdirSync(join(root, 'src'));
    const fd = openSync(file, 'w');
    writeSync(fd, Buffer.alloc(size, 0x41));
    closeSync(fd);
    utimesSync(file, 1_600_000_000, 1_600_000_000);
    const src = join(root, 'src');
    const dst = join(root, 'dst');
    // A pass, its mtime put back, then 30 ms of quiet: the file looks unchanged (size, mtime) most of the time.
    const racer = await startRacer(['rewrite', file, '30000']);
    const lies: string[] = [];
    try {
      for (let run = 1; run <= 4; run++) {
        rmSync(join(dst, 'big.bin'), { force: true });
        const r = await runBin(engine, [src, dst]);
        assertHonest(r);
        const got = r.code === 0 ? versionOf(join(dst, 'big.bin')) : 'failed';
        // A writer starved in the middle of a pass (a loaded machine) leaves a file that looks settled for longer than
        // its copy takes: it may be copied as it stood (README: Guarantees), but then stamped with that moment's
        // mtime, never the whole versions' (which the racer puts back), so the next run copies it again.
        const stampedAsWhole = got === 'mixed' && lstatSync(join(dst, 'big.bin'), { bigint: true }).mtimeNs === WHOLE_MTIME_NS;
        if (got === 'empty' || stampedAsWhole) lies.push(`run ${run}: exit 0 with ${got} bytes${stampedAsWhole ? ', stamped with the whole versions\' mtime' : ''}`);
      }
    } finally {
      await racer.stop();
    }
    // The racer stopped after a whole pass: the source is one whole version again, with its old size and mtime.
    assert.match(versionOf(file), /^[AB]$/);
    const quiet = await runBin(engine, [src, dst]);
    assertHonest(quiet);
    assert.equal(quiet.code, 0, shown(quiet));
    assert.deepEqual(lies, [], `no run reports success with mixed bytes that a later run would keep: ${lies.join('; ')}`);
    assert.match(versionOf(join(dst, 'big.bin')), /^[AB]$/, 'after a quiet run the copy is one whole version, not mixed bytes kept for their stamp');
  });
});

describe('issue 11 wrong copies: a source folder swapped for a link to outside during the scan', { skip: noRacer }, () => {
  const todos: Todos = {};
  bothEngines('outside content is never copied, and the quiet run after the race leaves an exact mirror', todos, async (engine) => {
    const root = tmp();
    const list = Array.from({ length: 300 }, (_, i) => `f${String(i).padStart(4, '0')}`);
    // Inside and outside files have the same names, sizes and mtimes: only their bytes differ.
    const canary = makeCanary(root, canarySpec(list));
    const inside: TreeSpec = Object.fromEntries(list.map((n) => [`a/${n}`, { data: `inside  ${n}\n`, mode: 0o600, mtime: 1_000_000_010 }]));
    const src = writeTree(join(root, 'src'), { 'keep.txt': 'k', ...inside });
    const dst = join(root, 'dst');
    symlinkSync(canary.dir, join(root, 'lnk'));
    const outside = contentHashes(readTree(canary.dir));
    const leaked = (): string[] => Object.entries(readTree(dst)).filter(([, l]) => [...outside].some((h) => l.includes(h))).map(([k]) => k);
    const r = await runWhileSwapping(engine, [src, dst], [[join(src, 'a'), join(root, 'lnk')]], 'start');
    assertHonest(r);
    const afterRace = leaked();
    const quiet = await runBin(engine, [src, dst]);
    assertHonest(quiet);
    assert.equal(quiet.code, 0, shown(quiet));
    const afterQuiet = leaked();
    const detail = `outside content in ${afterRace.length} destination files after the racing run (exit ${String(r.code)}), ${afterQuiet.length} after the quiet run (exit ${String(quiet.code)})`;
    assert.deepEqual(afterRace, [], `the racing run copied no outside content: ${detail}`);
    assert.deepEqual(afterQuiet, [], `no outside content survives a quiet run: ${detail}`);
    assert.deepEqual(readTree(dst), readTree(src), 'the quiet run leaves an exact mirror');
    canary.assertUntouched();
  });
});
