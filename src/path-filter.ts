/**
 * Exclude/include globs for paths that do not come from a scan (the gulp plugin's vinyl files, the watcher's
 * events). It follows the engine's scan filter rule for rule (engine/scan/filter.ts), which faces cannot import:
 * keep the two in step until the engine exports its own.
 */
import picomatch from 'picomatch';
import type { RelPath } from './engine/index.js';

type Matcher = (path: RelPath, isDir: boolean) => boolean;

function compile(glob: string): Matcher {
  // `dir/` matches folders only, as in rsync and gitignore.
  const dirOnly = glob.endsWith('/');
  const pattern = dirOnly ? glob.replace(/\/+$/, '') : glob;
  // A leading `/` anchors at the root; otherwise a pattern without `/` matches a name at any depth.
  const anchored = pattern.startsWith('/');
  const body = anchored ? pattern.slice(1) : pattern;
  const match = picomatch(body, { dot: true, basename: !anchored && !body.includes('/') });
  return dirOnly ? (path, isDir) => isDir && match(path) : (path) => match(path);
}

/** True when `path` (or, as a scan would see it, one of its folders) is left out by the globs. */
export type Excludes = (path: RelPath, isDir: boolean) => boolean;

export function createExcludes(exclude: readonly string[], include: readonly string[]): Excludes {
  if (exclude.length === 0) return () => false;
  const ex = exclude.map(compile);
  const inc = include.map(compile);
  const one = (path: RelPath, isDir: boolean): boolean => ex.some((m) => m(path, isDir)) && !inc.some((m) => m(path, isDir));
  return (path, isDir) => {
    // A scan never descends into an excluded folder, so a path below one is excluded too.
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) if (one(parts.slice(0, i).join('/'), true)) return true;
    return one(path, isDir);
  };
}
