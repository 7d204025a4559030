/** --help and the README's option tables are made from the options table, and say the same. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OPTIONS } from '../../src/engine/index.js';
import { README, renderReadme } from '../../scripts/docs.js';
import { absync, CLI } from '../helpers/cli.js';

describe('--help', () => {
  const help = absync(['--help']);

  it('lists every flag of the options table, its short form and its negation', () => {
    assert.equal(help.code, 0);
    for (const [name, spec] of Object.entries(OPTIONS)) {
      const cli = spec.cli;
      if (!cli || !spec.faces.includes('cli')) continue;
      for (const spelling of [cli.flag, cli.short ? `-${cli.short}` : undefined, cli.negate]) {
        if (spelling === undefined) continue;
        assert.match(help.stdout, new RegExp(`(^|[ ,])${spelling}([ ,]|$)`, 'm'), `${name}: ${spelling}`);
      }
    }
  });

  it('aligns every flag\'s text in one column', () => {
    const rows = help.stdout.split('\n').filter((l) => /^ {2}(-\w, | {4})--\S/.test(l));
    assert.ok(rows.length > 30, help.stdout);
    const columns = new Set(rows.map((l) => /^ {2}.*?\S {2,}(?=\S)/.exec(l)?.[0].length));
    assert.equal(columns.size, 1, rows.join('\n'));
  });

  it('names the environment variables and the exit codes', () => {
    for (const v of ['ABSYNC_TRACE=1', 'ABSYNC_NO_NATIVE=1']) assert.ok(help.stdout.includes(v), v);
    for (const c of [/^ {2}0 /m, /^ {2}1 /m, /^ {2}2 /m, /^ {2}130, 143, 129 /m]) assert.match(help.stdout, c);
    assert.match(help.stdout, /^usage: absync <source> <destination> \[interval-seconds\] \[logfile\] \[options\]$/m);
  });

  it('wins over anything else on the line, even a mistake', () => {
    const r = spawnSync(process.execPath, [CLI, '--frobnicate', '-h'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, help.stdout);
  });
});

describe('the README\'s option tables', () => {
  it('are what the options table makes (npm run docs writes them)', () => {
    const { stale, missing } = renderReadme(readFileSync(README, 'utf8'));
    assert.deepEqual(missing, []);
    assert.deepEqual(stale, [], 'run npm run docs');
  });

  it('a row that disagrees with the table is caught', () => {
    const text = readFileSync(README, 'utf8').replace('| `--concurrency <n>` | `32` |', '| `--concurrency <n>` | `64` |');
    assert.deepEqual(renderReadme(text).stale, ['cli']);
  });
});
