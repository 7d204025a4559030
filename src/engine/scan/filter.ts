/** Exclude/include globs compiled once into a predicate over relative paths. */
import { createRequire } from 'node:module';
import type Ignore from 'ignore';
import type Picomatch from 'picomatch';
import { AbsyncError } from '../errors.js';
import type { RelPath } from '../types.js';

/** Decides whether a path is left out of the sync on both sides. */
export interface PathFilter {
  readonly active: boolean;
  excludes(path: RelPath, isDir: boolean): boolean;
}

type Matcher = (path: RelPath, isDir: boolean) => boolean;

// Loaded on first use: a run without filters (most runs) does not pay for parsing them at start-up.
const require = createRequire(import.meta.url);
let picomatchFn: typeof Picomatch | undefined;
const picomatch: typeof Picomatch = ((glob: string, options: Picomatch.PicomatchOptions) =>
  (picomatchFn ??= require('picomatch') as typeof Picomatch)(glob, options)) as typeof Picomatch;
const ignore = (): ReturnType<typeof Ignore> => (require('ignore') as typeof Ignore)();

function compile(glob: string, option: string): Matcher {
  // picomatch would read a leading `!` as "everything but": a lone `!` (rsync's "clear the list") left out everything.
  if (glob.startsWith('!')) {
    throw new AbsyncError('E_OPTIONS', `invalid option: ${option} pattern ${JSON.stringify(glob)} starts with "!": negation (and rsync's list-clearing "!") is not supported; include keeps what an exclude matched, and \\! matches a name that starts with "!"`, undefined, option);
  }
  // `dir/` matches folders only, as in rsync and gitignore.
  const dirOnly = glob.endsWith('/');
  const pattern = dirOnly ? glob.replace(/\/+$/, '') : glob;
  // A leading `/` anchors at the root; otherwise a pattern without `/` matches a name at any depth.
  const anchored = pattern.startsWith('/');
  const body = anchored ? pattern.replace(/^\/+/, '') : pattern;
  if (body === '' || body === '.') {
    throw new AbsyncError('E_OPTIONS', `invalid option: ${option} pattern ${JSON.stringify(glob)} names the root itself, which is never mirrored or deleted as an entry; use ${JSON.stringify('/*')} for everything in it`, undefined, option);
  }
  const match = picomatch(body, { dot: true, basename: !anchored && !body.includes('/') });
  return dirOnly ? (path, isDir) => isDir && match(path) : (path) => match(path);
}

export const NO_FILTER: PathFilter = { active: false, excludes: () => false };

/** What decides that a path is left out: exclude globs, the ignore file's rules (gitignore syntax), include globs. */
export interface FilterRules {
  readonly exclude: readonly string[];
  readonly include: readonly string[];
  /** Text of the source's ignore file (`.absyncignore`), if it has one. */
  readonly ignoreText?: string;
}

export function createFilter({ exclude, include, ignoreText }: FilterRules): PathFilter {
  const ex = exclude.map((g) => compile(g, 'exclude'));
  if (ignoreText !== undefined && ignoreText.trim() !== '') {
    const ig = ignore().add(ignoreText);
    ex.push((path, isDir) => ig.ignores(isDir ? `${path}/` : path));
  }
  // Include globs are checked even without an exclude for them to act on.
  const inc = include.map((g) => compile(g, 'include'));
  if (ex.length === 0) return NO_FILTER;
  return {
    active: true,
    excludes(path, isDir) {
      if (!ex.some((m) => m(path, isDir))) return false;
      return !inc.some((m) => m(path, isDir));
    },
  };
}

/** A predicate for `protect` globs (destination entries never deleted or overwritten). */
export function createMatcher(globs: readonly string[]): ((path: RelPath, isDir: boolean) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const ms = globs.map((g) => compile(g, 'protect'));
  return (path, isDir) => ms.some((m) => m(path, isDir));
}
