/**
 * Read-only destination files (mode 0444; the read-only attribute on Windows) are replaced and deleted as on Linux,
 * where a writable folder is all it takes. Windows refuses to delete (and, outside Wine, to replace) such a file
 * until the attribute is cleared. Root ignores the attribute under Wine, so the Windows leg of CI runs this file
 * again as an unprivileged user.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sync } from '../../src/index.js';
import { tmp, writeTree } from '../helpers/tree.js';

describe('read-only destination files', () => {
  it('are deleted and replaced like any other', async () => {
    const root = tmp();
    const src = writeTree(join(root, 'src'), { 'kept.txt': 'the new version' });
    const dst = writeTree(join(root, 'dst'), { 'kept.txt': 'old', 'extra.txt': 'to delete', 'sub/deep.txt': 'to delete too' });
    for (const f of ['kept.txt', 'extra.txt', 'sub/deep.txt']) chmodSync(join(dst, f), 0o444);
    const s = await sync({ source: src, destination: dst });
    assert.deepEqual({ failed: s.failed, updated: s.updated, deleted: s.deleted }, { failed: 0, updated: 1, deleted: 3 }, JSON.stringify(s.failures));
    assert.equal(readFileSync(join(dst, 'kept.txt'), 'utf8'), 'the new version');
    assert.equal(existsSync(join(dst, 'extra.txt')), false);
    assert.equal(existsSync(join(dst, 'sub')), false);
  });
});
