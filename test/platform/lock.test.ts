/**
 * The destination lock on every platform: a lock left by a dead run is taken over even when its pid now belongs to a
 * live process and nothing records that process's start (no /proc: macOS, Windows); a live run's lock is refused;
 * a run killed while holding it leaves a lock the next run takes over.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { sync } from '../../src/index.js';
import { tmp } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

const JS_TREE = fileURLToPath(new URL('../../src/engine/backends/local-js/js-tree.js', import.meta.url));

/** A child process that takes the destination's lock (as a run does) and holds it until killed. */
const HOLDER = `
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [tree, root, flag] = process.argv.slice(2);
const { JsTree } = await import(pathToFileURL(tree).href);
await new JsTree(root).lock(0, false);
writeFileSync(flag, 'locked');
setInterval(() => undefined, 1000);
`;

function trees(root: string): { src: string; dst: string } {
  const src = join(root, 'src');
  const dst = join(root, 'dst');
  mkdirSync(src, { recursive: true });
  mkdirSync(dst, { recursive: true });
  writeFileSync(join(src, 'f.txt'), 'f');
  return { src, dst };
}

describe('the destination lock', () => {
  it('a lock whose pid now belongs to a process started after it was taken is stale (no start time recorded)', async () => {
    const root = tmp();
    const { src, dst } = trees(root);
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await until(() => other.pid !== undefined, 'the other process');
      // As a run on a system without /proc leaves it: pid, host and time only; that pid is alive, but younger.
      writeFileSync(join(dst, '.absync.lock'), JSON.stringify({ pid: other.pid, host: hostname(), since: '2001-01-01T00:00:00.000Z' }));
      const s = await sync({ source: src, destination: dst });
      assert.equal(s.copied, 1);
      assert.equal(existsSync(join(dst, '.absync.lock')), false);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a live run\'s lock is refused, and taken over once that run is killed', async () => {
    const root = tmp();
    const { src, dst } = trees(root);
    const script = join(root, 'holder.mjs');
    writeFileSync(script, HOLDER);
    const flag = join(root, 'locked.flag');
    const holder = spawn(process.execPath, [script, JS_TREE, dst, flag], { stdio: 'ignore' });
    const exited = new Promise((r) => holder.once('exit', r));
    try {
      await until(() => existsSync(flag), 'the holder to take the lock');
      await assert.rejects(sync({ source: src, destination: dst }), (err: Error & { code?: string }) => err.code === 'E_LOCKED');
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    const s = await sync({ source: src, destination: dst });
    assert.equal(s.copied, 1);
  });
});
