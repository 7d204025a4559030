/** A file written to while it is copied: detected (size/mtime before and after), retried, then reported failed. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
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
    // A writer that rewrites blocks of the file without pause: its mtime moves on every clock tick, which is far
    // shorter than copying 64 MiB, so every copy attempt sees the file change under it.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(growing)}, 'r+'); const b = Buffer.alloc(4096, 2);
      process.stdout.write('go\\n');
      for (let i = 0; ; i++) fs.writeSync(fd, b, 0, b.length, (i % 1024) * 4096);
    `], { stdio: ['ignore', 'pipe', 'ignore'] });
    let started = false;
    writer.stdout.on('data', () => { started = true; });
    try {
      await until(() => started, 'the writer');
      const dst = join(root, 'dst');
      const r = absync([src, dst]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /failed: growing\.log: copy: source changed while being copied/);
      assert.ok(existsSync(join(dst, 'steady.txt')));
      assert.ok(!existsSync(join(dst, 'growing.log')), 'a torn copy is never put in place');
      assert.deepEqual(readdirSync(dst).filter((n) => n.startsWith('.absync')), []);
    } finally {
      writer.kill('SIGKILL');
    }
    await new Promise((r) => writer.once('exit', r));
    const dst = join(root, 'dst');
    assert.equal(absync([src, dst]).code, 0);
    assertMirror(src, dst);
  });
});
