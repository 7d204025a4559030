/**
 * Windows: a destination file another process holds open without sharing (a virus scanner, an indexer) cannot be
 * replaced or removed until it lets go. The engine retries such steps with a short bounded backoff, then reports
 * them; nothing is half-done either way. The hold is libuv's UV_FS_O_EXLOCK in a child node process.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sync } from '../../src/index.js';
import { isTempName } from '../../src/engine/index.js';
import { tmp } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

const SKIP = process.platform === 'win32' ? false : 'sharing violations exist only on Windows (a file open elsewhere never blocks a rename here)';

const HOLDER = `
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
const [file, flag] = process.argv.slice(2);
const fd = openSync(file, 'r+', 0x10000000 /* UV_FS_O_EXLOCK: no sharing */);
writeFileSync(flag, 'held');
const t = setInterval(() => { if (existsSync(flag + '.release')) { closeSync(fd); clearInterval(t); } }, 10);
`;

/** Holds `file` open without sharing until `release()`; resolves once it is held. */
async function hold(dir: string, file: string): Promise<{ release: () => Promise<void>; child: ChildProcess }> {
  const script = join(dir, 'holder.mjs');
  writeFileSync(script, HOLDER);
  const flag = join(dir, 'held.flag');
  const child = spawn(process.execPath, [script, file, flag], { stdio: 'ignore' });
  await until(() => existsSync(flag), 'the holder to open the file');
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, release: async () => { writeFileSync(`${flag}.release`, ''); await exited; } };
}

function tree(root: string): { src: string; dst: string; held: string } {
  const src = join(root, 'src');
  const dst = join(root, 'dst');
  mkdirSync(src, { recursive: true });
  mkdirSync(dst, { recursive: true });
  writeFileSync(join(src, 'f.txt'), 'the new version, longer');
  writeFileSync(join(dst, 'f.txt'), 'old');
  writeFileSync(join(dst, 'gone.txt'), 'to delete');
  return { src, dst, held: join(dst, 'f.txt') };
}

describe('destination files held open by another process (Windows)', () => {
  it('an update waits while the file is held, and goes through once it is let go', { skip: SKIP }, async () => {
    const root = tmp();
    const { src, dst, held } = tree(root);
    const holder = await hold(root, held);
    const run = sync({ source: src, destination: dst });
    // The copy is written next to the file; its rename over the held file is what waits.
    await until(() => readdirSync(dst).some(isTempName), 'the copy to be ready', 30_000);
    await holder.release();
    const s = await run;
    assert.deepEqual({ updated: s.updated, deleted: s.deleted, failed: s.failed }, { updated: 1, deleted: 1, failed: 0 }, JSON.stringify(s.failures));
    assert.equal(readFileSync(held, 'utf8'), 'the new version, longer');
    assert.deepEqual(readdirSync(dst).filter(isTempName), []);
  });

  it('a file held for the whole run is reported, left whole, and mirrored by the next run', { skip: SKIP }, async () => {
    const root = tmp();
    const { src, dst, held } = tree(root);
    const holder = await hold(root, held);
    let s;
    try {
      s = await sync({ source: src, destination: dst });
    } finally {
      await holder.release();
    }
    assert.equal(s.failed, 1, JSON.stringify(s.failures));
    assert.equal(s.failures[0]?.path, 'f.txt');
    assert.match(s.failures[0]?.code ?? '', /^(EBUSY|EPERM|EACCES)$/);
    assert.equal(s.deleted, 1, 'the rest of the run went on');
    assert.equal(readFileSync(held, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dst).filter(isTempName), []);
    const again = await sync({ source: src, destination: dst });
    assert.deepEqual({ updated: again.updated, failed: again.failed }, { updated: 1, failed: 0 });
    assert.equal(readFileSync(held, 'utf8'), 'the new version, longer');
  });
});
