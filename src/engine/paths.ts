/** Relative-path helpers. RelPaths are `/`-separated with no leading or trailing slash; `''` is the root. */
import { isAbsolute, relative, sep } from 'node:path';
import type { RelPath, Snapshot } from './types.js';

export function joinRel(dir: RelPath, name: string): RelPath {
  return dir === '' ? name : `${dir}/${name}`;
}

export function parentOf(path: RelPath): RelPath {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: RelPath): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function depthOf(path: RelPath): number {
  if (path === '') return 0;
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}

/** `<root>/<rel>` without normalising the name (a file may be called `..` only in a hostile vinyl stream, never on disk). */
export function toAbs(root: string, rel: RelPath): string {
  if (rel === '') return root;
  return root.endsWith(sep) ? root + rel : root + sep + rel;
}

/** Where a snapshot entry's bytes are on disk, or undefined when they are not in a file (a vinyl buffer or stream). */
export function diskPathOf(snapshot: Snapshot, path: RelPath): string | undefined {
  const c = snapshot.contents?.get(path);
  if (c === undefined) return toAbs(snapshot.root, path);
  return c.type === 'path' ? c.path : undefined;
}

/** True when `path` is `ancestor` or lies below it. */
export function isAtOrBelow(path: RelPath, ancestor: RelPath): boolean {
  return ancestor === '' || path === ancestor || (path.startsWith(ancestor) && path.charCodeAt(ancestor.length) === 47);
}

/** Every proper ancestor of `path`, nearest first, excluding the root. */
export function* ancestorsOf(path: RelPath): Generator<RelPath> {
  let p = parentOf(path);
  while (p !== '') {
    yield p;
    p = parentOf(p);
  }
}

/**
 * True when a path made by `path.relative` climbs out of its base: `..` or `../...`, but not a name that only starts
 * with two dots (`..src` is a folder inside).
 */
export function climbsOut(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith('../') || isAbsolute(rel);
}

/** True when absolute path `inner` is `outer` or lies below it. */
export function isInsideAbs(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || !climbsOut(rel);
}

/**
 * Checks that a relative path from an untrusted place (a vinyl file) stays inside its root:
 * no absolute path, drive letter, `..` segment, NUL byte or backslash escape. Returns the normalised
 * RelPath or an error message.
 */
export function checkRelative(input: string): { ok: true; path: RelPath } | { ok: false; message: string } {
  if (input.includes('\0')) return { ok: false, message: 'contains a NUL byte' };
  if (isAbsolute(input) || /^[A-Za-z]:/.test(input) || input.startsWith('\\')) {
    return { ok: false, message: 'is an absolute path' };
  }
  // `..\\x` is a plain name on POSIX, but it escapes on Windows: refuse it everywhere.
  if (input.split(/[\\/]+/).some((p) => p === '..')) return { ok: false, message: 'escapes the destination (..)' };
  const parts = input.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return { ok: false, message: 'names the destination root itself' };
  return { ok: true, path: parts.join('/') };
}
