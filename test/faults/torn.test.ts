/** A file written to while it is copied: detected (size/mtime before and after), retried, then reported failed. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { absync } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

describe('a source file that keeps changing while it is copied', () => {
  it('is never recorded as in sync: exit 1, then the next quiet run converges', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'steady.txt': 's' });
    const growing = join(src, 'growing.log');
    writeFileSync(growing, Buffer.alloc(64 * 1024 * 1024, 1));
    // A writer that rewrites the first 4 MiB without pause, pass after pass, each pass with its own byte: its mtime
    // moves on every write, far more often than a 64 MiB copy takes, so a copy attempt sees the file change under it.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(growing)}, 'r+');
      process.stdout.write('go\\n');
      for (let pass = 0; ; pass++) { const b = Buffer.alloc(4096, 2 + (pass % 250)); for (let i = 0; i < 1024; i++) fs.writeSync(fd, b, 0, b.length, i * 4096); }
    `], { stdio: ['ignore', 'pipe', 'ignore'] });
    let started = false;
    writer.stdout.on('data', () => { started = true; });
    try {
      await until(() => started, 'the writer');
      const dst = join(root, 'dst');
      const r = absync([src, dst]);
      assert.ok(existsSync(join(dst, 'steady.txt')));
      assert.deepEqual(readdirSync(dst).filter((n) => n.startsWith('.absync')), []);
      if (r.code === 0) {
        // Only when the writer got no time at all during a whole copy (a starved process on a loaded machine) may a
        // run succeed, and then with one whole pass: the first 4 MiB all of one byte.
        const head = readFileSync(join(dst, 'growing.log')).subarray(0, 4 << 20);
        assert.ok(head.every((b) => b === head[0]), 'a copy put in place holds one whole version');
      } else {
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /failed: growing\.log: copy: source changed while being copied/);
        assert.ok(!existsSync(join(dst, 'growing.log')), 'a torn copy is never put in place');
      }
    } finally {
      writer.kill('SIGKILL');
    }
    await new Promise((r) => writer.once('exit', r));
    const dst = join(root, 'dst');
    assert.equal(absync([src, dst]).code, 0);
    assertMirror(src, dst);
  });
});
