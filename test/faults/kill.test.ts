/** SIGKILL at many moments of a run over a mixed tree: every file whole (old or new), and the next run converges. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync, absyncAsync } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree, type TreeSpec } from '../helpers/tree.js';

const sha = (p: string): string => createHash('sha1').update(readFileSync(p)).digest('hex');

function files(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(root, rel))) {
    const r = rel ? `${rel}/${n}` : n;
    const st = lstatSync(join(root, r));
    if (st.isDirectory()) out.push(...files(root, r));
    else if (st.isFile()) out.push(r);
  }
  return out;
}

describe('kill at any point', () => {
  it('leaves only whole files, and the next run converges with no temp file or stale lock', async () => {
    const root = tmp();
    const oldSpec: TreeSpec = {};
    const newSpec: TreeSpec = {};
    for (let i = 0; i < 40; i++) {
      oldSpec[`d${i % 5}/f${i}.bin`] = randomBytes(i % 7 === 0 ? 2 * 1024 * 1024 : 20 * 1024);
      newSpec[`d${i % 5}/f${i}.bin`] = randomBytes(i % 7 === 0 ? 3 * 1024 * 1024 : 30 * 1024);
    }
    for (let i = 0; i < 10; i++) oldSpec[`gone/g${i}`] = `old ${i}`;
    for (let i = 0; i < 10; i++) newSpec[`fresh/n${i}`] = randomBytes(64 * 1024);
    const src = writeTree(join(root, 'src'), newSpec);
    const versions = new Map<string, Set<string>>();
    for (const f of files(src)) versions.set(f, new Set([sha(join(src, f))]));
    // Kill points spread over the run: some time after the run took its lock.
    const delays = [0, 3, 8, 15, 25, 40, 60, 90];
    for (let round = 0; round < delays.length; round++) {
      const dst = join(root, `dst${round}`);
      writeTree(dst, oldSpec);
      for (const f of files(dst)) {
        const set = versions.get(f) ?? new Set<string>();
        set.add(sha(join(dst, f)));
        versions.set(f, set);
      }
      const child = absyncAsync([src, dst]);
      const exited = new Promise((r) => child.once('exit', r));
      while (child.exitCode === null && !existsSync(join(dst, '.absync.lock'))) await new Promise((r) => setImmediate(r));
      const t = Date.now();
      while (child.exitCode === null && Date.now() - t < (delays[round] as number)) await new Promise((r) => setImmediate(r));
      child.kill('SIGKILL');
      await exited;
      for (const f of files(dst)) {
        if (f.includes('.absync-tmp.') || f === '.absync.lock') continue;
        assert.ok(versions.get(f)?.has(sha(join(dst, f))), `round ${round}: ${f} is a whole version`);
      }
      const again = absync([src, dst]);
      assert.equal(again.code, 0, `round ${round}: ${again.stderr}`);
      assertMirror(src, dst);
      assert.deepEqual(files(dst).filter((f) => f.includes('.absync')), [], `round ${round}: no leftovers`);
    }
  });
});
