/**
 * The library gets what the CLI's output is made of: `sync({ onProgress, onAction })`. Progress is batched (a few
 * events a second, from finished actions), so a run with thousands of actions sends only a handful.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AbsyncError, sync, type Summary } from '../../src/index.js';
import type { Outcome, Progress } from '../../src/engine/index.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

describe('sync({ onProgress, onAction })', () => {
  it('runs in one long-lived process (a watch, a gulpfile) leave no process listeners behind', async () => {
    const src = writeTree(join(tmp(), 'src'), { a: '1', 'd/b': '2' });
    const dst = join(tmp(), 'dst');
    const events = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection'] as const;
    const count = (): number[] => events.map((e) => process.listenerCount(e));
    await sync({ source: src, destination: dst });
    const before = count();
    for (let i = 0; i < 12; i++) await sync({ source: src, destination: dst });
    assert.deepEqual(count(), before, events.join(', '));
    assertMirror(src, dst);
  });

  it('onAction hears every action as it finishes; onProgress ends with every file and byte done', async () => {
    const root = tmp();
    const spec: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) spec[`d${i % 20}/f${i}`] = `content ${i}`;
    const src = writeTree(join(root, 'src'), spec);
    const dst = join(root, 'dst');
    const actions: Outcome[] = [];
    const progress: Progress[] = [];
    const summary: Summary = await sync({ source: src, destination: dst, onAction: (o) => actions.push(o), onProgress: (p) => progress.push(p) });
    assertMirror(src, dst);
    assert.equal(actions.filter((o) => o.status === 'done' && o.action.op === 'copy').length, 2000);
    assert.equal(actions.length, summary.planned.copied + summary.planned.created + summary.planned.attrs);
    const last = progress.at(-1) as Progress;
    assert.equal(last.phase, 'done');
    assert.deepEqual([last.files, last.filesDone, last.bytes, last.bytesDone, last.actionsDone], [2000, 2000, summary.bytes, summary.bytes, actions.length]);
    assert.deepEqual(progress.slice(0, 2).map((p) => p.phase), ['scan', 'plan']);
    // Batched: far fewer events than actions, whatever the speed of the machine.
    assert.ok(progress.length < actions.length / 20, `${progress.length} events for ${actions.length} actions`);
    for (let i = 1; i < progress.length; i++) assert.ok((progress[i] as Progress).actionsDone >= (progress[i - 1] as Progress).actionsDone);
  });

  it('a dry run sends the plan\'s totals and no action; bad callbacks are refused when the options are read', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { a: 'a', b: 'bb' });
    const actions: Outcome[] = [];
    const progress: Progress[] = [];
    await sync({ source: src, destination: join(root, 'dst'), dryRun: true, onAction: (o) => actions.push(o), onProgress: (p) => progress.push(p) });
    assert.equal(actions.length, 0);
    assert.equal(progress.find((p) => p.phase === 'plan')?.files, 2);
    await assert.rejects(sync({ source: src, destination: join(root, 'dst'), onProgress: 'yes' as never }), (e: unknown) => {
      assert.ok(e instanceof AbsyncError);
      assert.equal(e.code, 'E_OPTIONS');
      assert.equal(e.message, 'invalid option: onProgress must be a function, got "yes"');
      return true;
    });
  });
});
