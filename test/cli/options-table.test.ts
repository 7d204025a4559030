/**
 * The options table itself: every entry complete, no two sharing a spelling on the command line, every engine
 * option checked with the one error type and message style. New options are added here by other engineers too;
 * these checks tell them at once when an entry is incomplete or collides.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AbsyncError, FACE_OPTIONS, OPTIONS, resolveFaceOptions, resolveOptions, SYNC_OPTIONS } from '../../src/engine/index.js';
import { REPO } from '../helpers/cli.js';

describe('the options table', () => {
  it('gives every option a doc line and its faces; every CLI option a flag or a positional', () => {
    for (const [name, spec] of Object.entries(OPTIONS)) {
      assert.ok(spec.doc.length > 3, name);
      assert.ok(spec.faces.length > 0, name);
      if (spec.faces.includes('cli')) assert.ok(spec.cli?.flag ?? spec.cli?.positional, `${name} has no flag`);
      if (spec.cli?.flag) assert.match(spec.cli.flag, /^--[a-z][a-z-]*$/, name);
      if (spec.cli?.short) assert.match(spec.cli.short, /^[a-zA-Z]$/, name);
    }
  });

  it('never gives two options the same spelling on the command line', () => {
    const seen = new Map<string, string>();
    for (const [name, spec] of Object.entries(OPTIONS)) {
      const c = spec.cli;
      for (const s of [c?.flag, c?.short && `-${c.short}`, c?.negate, ...(c?.aliases ?? [])]) {
        if (!s) continue;
        assert.equal(seen.get(s), undefined, `${s}: ${name} and ${seen.get(s)}`);
        seen.set(s, name);
      }
    }
  });

  it('documents every key for editors too (a doc comment in src/engine/options.ts)', () => {
    const text = readFileSync(join(REPO, 'src', 'engine', 'options.ts'), 'utf8');
    for (const name of Object.keys(SYNC_OPTIONS)) assert.match(text, new RegExp(`\\*/\\n {2}${name}: option\\(`), name);
    for (const name of ['once', 'interval', 'changedOnly', 'displayName', 'watch', 'handleSignals']) {
      assert.ok(name in FACE_OPTIONS);
      assert.match(text, new RegExp(`\\*/\\n {2}${name}: option\\(`), name);
    }
  });

  it('checks every engine option with one error type and one wording, naming the option', () => {
    for (const name of Object.keys(SYNC_OPTIONS)) {
      assert.throws(() => resolveOptions({ source: '/s', destination: '/d', [name]: {} } as never), (e: unknown) => {
        assert.ok(e instanceof AbsyncError, name);
        assert.equal(e.code, 'E_OPTIONS');
        assert.match(e.message, new RegExp(`^invalid option: ${name} must be .+, got \\{\\}$`));
        return true;
      });
    }
    assert.throws(() => resolveOptions({ source: '/s', destination: '/d', bogus: 1 } as never), /^AbsyncError: invalid option: unknown option "bogus"$/);
  });

  it('applies the defaults (the CLI\'s own where it differs: mkpath)', () => {
    const o = resolveOptions({ source: 'a', destination: 'b' });
    for (const [name, spec] of Object.entries(SYNC_OPTIONS)) {
      if (spec.default === undefined || name === 'backupDir') continue;
      assert.deepEqual((o as Record<string, unknown>)[name], spec.default, name);
    }
    assert.equal(o.mkpath, true);
    assert.equal(SYNC_OPTIONS.mkpath.cli?.default, false);
    assert.equal(o.modifyWindow, undefined, "undefined: the platform's");
  });

  it('resolves a face\'s own options with the same checks, and leaves the rest to the engine', () => {
    const { own, rest } = resolveFaceOptions('watch', { interval: 5, source: 'src', logFile: 'a.log' });
    assert.deepEqual(own, { interval: 5, logFile: 'a.log', watch: true, debounce: 200, handleSignals: false });
    assert.deepEqual(rest, { source: 'src' });
    assert.throws(() => resolveFaceOptions('plugin', { changedOnly: 'yes' }), /^AbsyncError: invalid option: changedOnly must be true or false, got "yes"$/);
    // Not 'got null' (JSON.stringify's word for NaN and Infinity).
    assert.throws(() => resolveOptions({ source: 's', destination: 'd', modifyWindow: Number.NaN }), /modifyWindow must be a number of seconds >= 0, got NaN$/);
    assert.throws(() => resolveOptions({ source: 's', destination: 'd', concurrency: Number.NaN }), /concurrency must be a whole number >= 1, got NaN$/);
    assert.throws(() => resolveFaceOptions('task', { displayName: '' }), /displayName must be a non-empty string/);
  });
});
