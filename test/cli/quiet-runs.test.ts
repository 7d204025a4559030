import assert from 'node:assert/strict';
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { QuietRuns } from '../../src/cli/quiet-runs.js';
import type { Summary } from '../../src/engine/index.js';
import { tmp } from '../helpers/tree.js';

/** A run that changed nothing. */
const QUIET = { copied: 0, updated: 0, deleted: 0, moved: 0, created: 0, attrs: 0, failed: 0, vanished: 0 } as Summary;

describe('quiet interval runs and a rotated log', () => {
  it('a log rotated right after a run\'s line, before the run says it wrote, still gets the next run\'s line', () => {
    const path = join(tmp(), 'sync.log');
    writeFileSync(path, 'a line\n');
    // What LogFile knows: the inode its last line went to (the handle's).
    const log = { path, writtenTo: statSync(path).ino };
    const quiet = new QuietRuns(log, false);
    assert.equal(quiet.shouldReport(QUIET), true, 'the first run is reported');
    // logrotate moves the file and starts a new one between the line and written().
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'another line\n');
    quiet.written();
    assert.equal(quiet.shouldReport(QUIET), true, 'the new file starts with the current state');
    log.writtenTo = statSync(path).ino;
    quiet.written();
    assert.equal(quiet.shouldReport(QUIET), false, 'then quiet runs are quiet again');
  });
});
