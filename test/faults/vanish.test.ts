/** Source entries that vanish or change type between scan and apply: reported as vanished, and the next run converges. */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sync } from '../../src/engine/sync.js';
import { planThenApply } from '../helpers/race.js';
import { assertMirror, tmp, writeTree } from '../helpers/tree.js';

const cases: [string, (src: string) => void][] = [
  ['deleted', (src) => rmSync(join(src, 'f'))],
  ['replaced by a folder', (src) => { rmSync(join(src, 'f')); mkdirSync(join(src, 'f')); writeFileSync(join(src, 'f', 'inner'), 'i'); }],
  ['turned into a symlink', (src) => { rmSync(join(src, 'f')); symlinkSync('/etc/hostname', join(src, 'f')); }],
  ['its folder deleted', (src) => rmSync(join(src, 'd'), { recursive: true })],
];

describe('a source file that changes between scan and apply', () => {
  for (const [what, mutate] of cases) {
    it(`${what}: vanished, not failed; nothing half-written; the next run converges`, async () => {
      const root = tmp();
      const src = writeTree(join(root, 'src'), { f: 'file content', 'd/g': 'g', other: 'o' });
      const dst = join(root, 'dst');
      mkdirSync(dst);
      const s = await planThenApply(src, dst, () => mutate(src));
      assert.equal(s.failed, 0, JSON.stringify(s.failures));
      assert.ok(s.vanished >= 1);
      for (const name of readdirSync(dst, { recursive: true }) as string[]) assert.ok(!name.includes('.absync-tmp.'), name);
      const again = await sync({ source: src, destination: dst });
      assert.equal(again.failed, 0);
      assertMirror(src, dst);
    });
  }

  it('a file that grew after the scan is copied whole in its new state', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { log: 'line 1\n' });
    const dst = join(root, 'dst');
    mkdirSync(dst);
    const s = await planThenApply(src, dst, () => appendFileSync(join(src, 'log'), 'line 2\n'));
    assert.equal(s.copied, 1);
    assertMirror(src, dst);
  });
});
