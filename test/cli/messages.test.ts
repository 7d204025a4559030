/** Refusals in the CLI's words: API option names in an engine message become the flags the user typed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbsyncError } from '../../src/engine/index.js';
import { cliMessage } from '../../src/cli/messages.js';

describe('cliMessage', () => {
  it('names flags where the engine names API options, and leaves paths alone', () => {
    const path = '/srv/maxDelete/www';
    const e = new AbsyncError('E_MAX_DELETE', `the run would delete 3 entries in ${path}, more than maxDelete 2 (allowEmptySource does not apply)`, path);
    assert.equal(cliMessage(e), `the run would delete 3 entries in ${path}, more than --max-delete 2 (--allow-empty-source does not apply)`);
  });

  it('renders the engine\'s `option: value` forms as the flag and its value', () => {
    const e = new AbsyncError('E_MAX_DELETE', 'refusing to sync: it would delete 3 entries from /d, more than maxDelete: 2', '/d', 'maxDelete');
    assert.equal(cliMessage(e), 'refusing to sync: it would delete 3 entries from /d, more than --max-delete 2');
    const empty = new AbsyncError('E_EMPTY_SOURCE', 'source /s is empty; check the path, or pass allowEmptySource: true', '/s', 'allowEmptySource');
    assert.equal(cliMessage(empty), 'source /s is empty; check the path, or pass --allow-empty-source');
  });

  it('keeps a message that already names the flag as it is', () => {
    const e = new AbsyncError('E_MAX_DELETE', 'would delete 3 entries, more than --max-delete 2', '/d');
    assert.equal(cliMessage(e), e.message);
  });

  it('an options error names the flag of its option, even a plain word, and nothing else', () => {
    const e = new AbsyncError('E_OPTIONS', 'invalid option: concurrency must be a whole number >= 1, got 0', undefined, 'concurrency');
    assert.equal(cliMessage(e), 'invalid option: --concurrency must be a whole number >= 1, got 0');
    const plain = new AbsyncError('E_EMPTY_SOURCE', 'source /s is empty and would delete all 3 entries', '/s');
    assert.equal(cliMessage(plain), plain.message);
  });
});
