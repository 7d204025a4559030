/** A reader that goes away (`absync ... | head`) never aborts a run or leaves its lock: the run finishes, with its exit code. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { nobodySkip, readableCli } from '../helpers/readable-install.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

/** 3,000 files: the -v output (~100 KB) is larger than a pipe holds, so the writer must meet the closed end. */
function bigSource(root: string): string {
  const spec: Record<string, string> = {};
  for (let i = 0; i < 3000; i++) spec[`d${i % 30}/file-${i}.txt`] = `${i}`;
  return writeTree(join(root, 'src'), spec);
}

function engineNames(dst: string): string[] {
  return readdirSync(dst).filter((n) => n.startsWith('.absync'));
}

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('a closed stdout or stderr', () => {
  it('absync -v | head -2: the reader leaves after two lines; the run finishes, exit 0, no lock, no stack trace', async () => {
    const root = tmp();
    const src = bigSource(root);
    const dst = join(root, 'dst');
    const child = spawn(process.execPath, [CLI, src, dst, '-v'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = exited(child);
    const lines = await new Promise<string[]>((resolve) => {
      let seen = '';
      child.stdout.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.split('\n').length > 2) {
          child.stdout.destroy();
          resolve(seen.split('\n').slice(0, 2));
        }
      });
    });
    assert.match(lines[0] ?? '', /^mkdir\s+d\d+\/$/);
    assert.equal(await code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error|at /);
    assertMirror(src, dst);
    assert.deepEqual(engineNames(dst), []);
  });

  it('ABSYNC_TRACE=1 ... 2>&1 | head -3 through a real shell pipe: the whole tree is mirrored and the lock removed', () => {
    const root = tmp();
    const src = bigSource(root);
    const dst = join(root, 'dst');
    const script = `set -o pipefail; ABSYNC_TRACE=1 "${process.execPath}" "${CLI}" "${src}" "${dst}" -v 2>&1 | head -3; echo "exit \${PIPESTATUS[0]}"`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    const out = r.stdout.trim().split('\n');
    assert.equal(out.length, 4, r.stdout);
    assert.match(out[0] ?? '', /^absync trace: engine /);
    assert.equal(out[3], 'exit 0');
    assertMirror(src, dst);
    assert.deepEqual(engineNames(dst), []);
  });

  it('stdout and stderr closed before the run starts: it still mirrors, and exits with its own code (1 when entries failed)', async (t) => {
    const closedRun = (args: string[], uid?: number): Promise<number | null> => {
      // As another user, from a readable copy of the bin: the checkout may lie where that user cannot enter (/root).
      const child = spawn(process.execPath, [uid !== undefined ? readableCli() : CLI, ...args, '-v', '--stats', '--json'], {
        cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ABSYNC_TRACE: '1' }, ...(uid !== undefined ? { uid, gid: uid } : {}),
      });
      child.stdout.destroy();
      child.stderr.destroy();
      return exited(child);
    };
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', 'd/b': 'b' });
    const dst = join(root, 'dst');
    assert.equal(await closedRun([src, dst]), 0);
    assertMirror(src, dst);
    assert.deepEqual(engineNames(dst), []);
    // A source file an unprivileged user cannot read: a failed entry, exit 1, though no one is there to hear it.
    const open = tmp();
    chmodSync(open, 0o777);
    const src2 = writeTree(join(open, 'src'), { ok: 'ok', secret: { data: 's', mode: 0o600 } });
    const skip = nobodySkip();
    if (skip) return t.skip(skip);
    assert.equal(await closedRun([src2, join(open, 'dst')], 65534), 1);
    assert.equal(readFileSync(join(open, 'dst', 'ok'), 'utf8'), 'ok');
    assert.deepEqual(engineNames(join(open, 'dst')), []);
  });
});
