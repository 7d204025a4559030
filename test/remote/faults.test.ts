/**
 * Connection faults against a real OpenSSH server: the session's sshd process killed mid-copy, and a server that stops
 * answering. Both must end the run's steps as failures (never a hang), leave every file on the server whole (old or
 * new), and let the next run converge.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isTempName, type SyncResult } from '../../src/engine/index.js';
import { skipReason, syncRemote, useServer } from '../helpers/remote.js';
import { sessionProcesses } from '../helpers/sshd.js';
import { readTree, tmp } from '../helpers/tree.js';
import { until } from '../helpers/wait.js';

/** A source of `files` files of 16 KiB in 10 folders, and a destination holding an old version of every third one. */
function trees(files: number): { src: string; dst: string; old: Map<string, Buffer>; fresh: Map<string, Buffer> } {
  const src = tmp();
  const dst = tmp();
  const old = new Map<string, Buffer>();
  const fresh = new Map<string, Buffer>();
  for (let i = 0; i < files; i++) {
    const rel = `d${i % 10}/f${i}.bin`;
    mkdirSync(join(src, `d${i % 10}`), { recursive: true });
    const data = randomBytes(16 * 1024);
    writeFileSync(join(src, rel), data);
    fresh.set(rel, data);
    if (i % 3 === 0) {
      mkdirSync(join(dst, `d${i % 10}`), { recursive: true });
      const before = randomBytes(8 * 1024);
      writeFileSync(join(dst, rel), before);
      old.set(rel, before);
    }
  }
  return { src, dst, old, fresh };
}

/** Every file under a real name on the server is either the whole old or the whole new version. */
function assertOldOrNew(dst: string, old: Map<string, Buffer>, fresh: Map<string, Buffer>): number {
  let news = 0;
  for (const dir of readdirSync(dst)) {
    if (isTempName(dir) || dir.startsWith('.absync')) continue;
    for (const name of readdirSync(join(dst, dir))) {
      if (isTempName(name)) continue;
      const rel = `${dir}/${name}`;
      const data = readFileSync(join(dst, rel));
      const isNew = fresh.get(rel)?.equals(data) ?? false;
      assert.ok(isNew || (old.get(rel)?.equals(data) ?? false), `${rel} is neither the old nor the new version (${data.length} bytes)`);
      if (isNew) news++;
    }
  }
  return news;
}

describe('remote faults', { skip: skipReason }, () => {
  const server = useServer();

  it('a connection dropped mid-copy (the session\'s sshd killed) ends the run with failures, files old or new; the next run converges', { timeout: 60_000 }, async () => {
    const srv = server();
    const { src, dst, old, fresh } = trees(800);
    const running = syncRemote(srv, src, dst, { concurrency: 4, filesInFlight: 8 });
    // Kill once the run is well under way: some new files are in place, most are not.
    await until(() => readdirSync(join(dst, 'd1')).filter((n) => !isTempName(n)).length > 30, 'files being copied', 30_000);
    const victims = srv.sessions();
    assert.equal(victims.length, 1, 'one connection, one session process');
    process.kill(victims[0] as number, 'SIGKILL');
    const run = await running;
    assert.ok(run.summary.failed > 0, 'steps after the drop failed');
    assert.ok(run.outcomes.some((o) => o.status === 'done'), 'steps before the drop were done');
    for (const f of run.summary.failures) assert.match(`${f.code} ${f.message}`, /ECONNLOST|connection to .* lost/, JSON.stringify(f));
    const news = assertOldOrNew(dst, old, fresh);
    assert.ok(news > 0 && news < fresh.size, `${news} of ${fresh.size} new`);

    // The next run (in the same process, as a watch would) takes the dead session's lock over, removes the
    // leftovers and converges.
    const again = await syncRemote(srv, src, dst);
    assert.equal(again.summary.failed, 0, JSON.stringify(again.summary.failures.slice(0, 3)));
    assert.deepEqual(readTree(dst), readTree(src));
  });

  it('a server that stops answering ends the steps as failures once the request deadline passes', { timeout: 60_000 }, async () => {
    const srv = server();
    const { src } = trees(300);
    const dst = tmp();
    const stopped: number[] = [];
    let run: SyncResult;
    try {
      const running = syncRemote(srv, src, dst, { concurrency: 2, ioTimeout: 1500 });
      await until(() => existsSync(join(dst, 'd2')) && readdirSync(join(dst, 'd2')).length > 5, 'files being copied', 30_000);
      for (const pid of sessionProcesses(srv)) {
        // A process of the session may end between the listing and the signal (a login shell's helpers): gone is fine.
        try {
          process.kill(pid, 'SIGSTOP');
          stopped.push(pid);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
      const t0 = Date.now();
      run = await running;
      assert.ok(Date.now() - t0 < 30_000, 'the run ended instead of waiting for the server');
    } finally {
      for (const pid of stopped) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* ended meanwhile */
        }
      }
    }
    assert.ok(run.summary.failed > 0);
    assert.ok(run.summary.failures.some((f) => /no answer from the server for 2 s|lost/.test(f.message)), JSON.stringify(run.summary.failures[0]));
  });
});
