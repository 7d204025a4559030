/** Hostile input: names that are not UTF-8, and random sequences of edits, tampering and runs. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, symlinkSync, chmodSync, renameSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sync } from '../../src/engine/sync.js';
import { absync } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

describe('names that are not valid UTF-8', () => {
  it('are skipped with a clear warning, never written under a mangled name, never the cause of a delete', () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'ok.txt': 'ok' });
    const dst = join(root, 'dst');
    const bad = Buffer.concat([Buffer.from(`${src}/`), Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74])]);
    writeFileSync(bad, 'latin-1 name');
    mkdirSync(dst);
    const badInDst = Buffer.concat([Buffer.from(`${dst}/`), Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74])]);
    writeFileSync(badInDst, 'destination copy');
    const r = absync([src, dst]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /skipped: f\uFFFD\uFFFD\.t: name is not valid UTF-8; skipped/);
    assert.ok(existsSync(join(dst, 'ok.txt')));
    assert.ok(existsSync(badInDst), 'the real file is not deleted');
    const names = readdirSync(dst);
    assert.ok(!names.some((n) => n.includes('\uFFFD') && existsSync(join(dst, n))), 'nothing written under a mangled name');
  });
});

type Step =
  | { op: 'write'; file: number; size: number }
  | { op: 'delete'; file: number }
  | { op: 'mkdir'; dir: number }
  | { op: 'rmdir'; dir: number }
  | { op: 'rename'; from: number; to: number }
  | { op: 'link'; file: number }
  | { op: 'chmod'; file: number }
  | { op: 'touch'; file: number }
  | { op: 'tamper'; file: number }
  | { op: 'run' };

const DIRS = ['', 'a', 'a/b', 'c'];
const path = (i: number): string => {
  const d = DIRS[i % DIRS.length] as string;
  return d === '' ? `f${i % 7}` : `${d}/f${i % 7}`;
};

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('write' as const), file: fc.nat(40), size: fc.nat(3000) }),
  fc.record({ op: fc.constant('delete' as const), file: fc.nat(40) }),
  fc.record({ op: fc.constant('mkdir' as const), dir: fc.nat(3) }),
  fc.record({ op: fc.constant('rmdir' as const), dir: fc.nat(3) }),
  fc.record({ op: fc.constant('rename' as const), from: fc.nat(40), to: fc.nat(40) }),
  fc.record({ op: fc.constant('link' as const), file: fc.nat(40) }),
  fc.record({ op: fc.constant('chmod' as const), file: fc.nat(40) }),
  fc.record({ op: fc.constant('touch' as const), file: fc.nat(40) }),
  fc.record({ op: fc.constant('tamper' as const), file: fc.nat(40) }),
  fc.constant({ op: 'run' as const }),
);

function apply(step: Step, src: string, dst: string): void {
  try {
    switch (step.op) {
      case 'write': {
        const p = join(src, path(step.file));
        mkdirSync(join(p, '..'), { recursive: true });
        rmSync(p, { recursive: true, force: true });
        writeFileSync(p, Buffer.alloc(step.size, step.file));
        break;
      }
      case 'delete':
        rmSync(join(src, path(step.file)), { recursive: true, force: true });
        break;
      case 'mkdir':
        mkdirSync(join(src, DIRS[step.dir] as string, 'sub'), { recursive: true });
        break;
      case 'rmdir':
        if (step.dir > 0) rmSync(join(src, DIRS[step.dir] as string), { recursive: true, force: true });
        break;
      case 'rename': {
        const to = join(src, path(step.to));
        mkdirSync(join(to, '..'), { recursive: true });
        renameSync(join(src, path(step.from)), to);
        break;
      }
      case 'link': {
        const p = join(src, path(step.file));
        mkdirSync(join(p, '..'), { recursive: true });
        rmSync(p, { recursive: true, force: true });
        symlinkSync(`target-${step.file}`, p);
        break;
      }
      case 'chmod':
        chmodSync(join(src, path(step.file)), step.file % 2 ? 0o600 : 0o755);
        break;
      case 'touch':
        utimesSync(join(src, path(step.file)), 1_500_000_000 + step.file, 1_500_000_000 + step.file);
        break;
      case 'tamper': {
        // Someone edits the mirror behind our back (different size, so the quick check sees it).
        const p = join(dst, path(step.file));
        if (existsSync(p)) writeFileSync(p, `tampered ${'x'.repeat(step.file)}`);
        break;
      }
      case 'run':
        break;
    }
  } catch {
    /* a step that does not apply to the current tree (missing file, file in the way) is a no-op */
  }
}

describe('fuzzing: random edits, tampering and runs', () => {
  it('after every run the destination is an exact mirror', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 12 }), async (steps) => {
        const root = tmp(`absync-fuzz-${n++}-`);
        const src = join(root, 'src');
        const dst = join(root, 'dst');
        mkdirSync(src);
        writeFileSync(join(src, 'seed'), 'seed');
        for (const step of [...steps, { op: 'run' as const }]) {
          apply(step, src, dst);
          if (step.op !== 'run') continue;
          const s = await sync({ source: src, destination: dst, checksum: n % 2 === 0 });
          assert.equal(s.failed, 0, JSON.stringify(s.failures));
          assertMirror(src, dst);
        }
        rmSync(root, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
  });
});
