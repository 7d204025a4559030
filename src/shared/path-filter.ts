/**
 * Exclude/include globs for paths that do not come from a scan (the gulp plugin's vinyl files, the watcher's
 * events): the engine's own filter, plus what a scan does implicitly, never descending into an excluded folder.
 */
import { createFilter, type RelPath } from '../engine/index.js';

/** True when `path` (or, as a scan would see it, one of its folders) is left out by the globs. */
export type Excludes = (path: RelPath, isDir: boolean) => boolean;

export function createExcludes(exclude: readonly string[], include: readonly string[]): Excludes {
  const filter = createFilter({ exclude, include });
  if (!filter.active) return () => false;
  return (path, isDir) => {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) if (filter.excludes(parts.slice(0, i).join('/'), true)) return true;
    return filter.excludes(path, isDir);
  };
}
