/**
 * The console's stop events, through the real bin during a first copy: Ctrl-Break (SIGBREAK) on Windows is handled
 * like SIGINT, and on every platform the stop is heard from the process' start. Windows has no way to send a console
 * event to another process here (and Wine delivers none), so the bin's own process raises the event once the first
 * file has landed, through a module it is started with (`--import`): what it exercises is the bin's handling of the
 * event Node delivers, not Node's delivery.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

const WINDOWS = process.platform === 'win32';
/** The console event each platform turns Ctrl-Break / Ctrl-C into, and the exit code of a run it stops. */
const EVENT = WINDOWS ? { signal: 'SIGBREAK', code: 149 } : { signal: 'SIGINT', code: 130 };

/** Raises the event in the bin's own process as soon as a file other than the lock is in the destination. */
const RAISE = `
import { readdirSync } from 'node:fs';
const dst = process.env.ABSYNC_TEST_DST;
const t = setInterval(() => {
  let names = [];
  try { names = readdirSync(dst, { recursive: true }).map(String); } catch { return; }
  if (names.some((n) => /f\\d+\\.txt$/.test(n))) { clearInterval(t); process.emit(process.env.ABSYNC_TEST_EVENT, process.env.ABSYNC_TEST_EVENT); }
}, 5);
t.unref();
`;

function leftovers(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).filter((n) => /(^|[\\/])\.absync/.test(n));
}

describe('console stop events', () => {
  it(`${EVENT.signal} during a first copy stops between two actions, leaves no temporary file or lock, exits ${EVENT.code}`, async () => {
    const root = tmp();
    const spec: Record<string, string> = {};
    for (let i = 0; i < 200; i++) spec[`d${i % 10}/f${i}.txt`] = `file ${i} `.repeat(200);
    const src = writeTree(join(root, 'src'), spec);
    const dst = join(root, 'dst');
    const raise = join(root, 'raise.mjs');
    writeFileSync(raise, RAISE);
    const child = spawn(process.execPath, ['--import', pathToFileURL(raise).href, CLI, src, dst, '--concurrency', '1'], {
      cwd: REPO,
      env: { ...process.env, ABSYNC_TEST_DST: dst, ABSYNC_TEST_EVENT: EVENT.signal },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, EVENT.code, stderr);
    assert.match(stderr, new RegExp(`absync: stopped by ${EVENT.signal}`));
    const files = (readdirSync(dst, { recursive: true }) as string[]).map(String).filter((n) => /f\d+\.txt$/.test(n));
    assert.ok(files.length > 0 && files.length < 200, `stopped part way: ${files.length} of 200 files`);
    assert.deepEqual(leftovers(dst), []);
    assert.ok(!existsSync(join(dst, '.absync.lock')));
    const again = spawnSync(process.execPath, [CLI, src, dst], { cwd: REPO, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assertMirror(src, dst);
  });
});
