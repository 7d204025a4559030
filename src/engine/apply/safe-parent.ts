/**
 * Never write through a link: before a write, every folder between the destination root and the target must be a
 * real folder. Ancestors are checked once per run; the immediate parent is checked again before every write, which
 * leaves only the window between that lstat and the write itself (Node has no openat/O_NOFOLLOW for folders).
 */
import { lstatSync } from 'node:fs';
import { ancestorsOf, parentOf, toAbs } from '../paths.js';
import type { RelPath } from '../types.js';

export class UnsafeParentError extends Error {
  readonly code = 'EUNSAFE';
}

export class ParentGuard {
  private readonly verified = new Set<RelPath>(['']);
  constructor(private readonly root: string) {}

  private checkDir(dir: RelPath): void {
    let st;
    try {
      st = lstatSync(toAbs(this.root, dir));
    } catch (err) {
      this.verified.delete(dir);
      throw err;
    }
    if (!st.isDirectory()) {
      this.verified.delete(dir);
      const what = st.isSymbolicLink() ? 'a symlink' : 'not a folder';
      throw new UnsafeParentError(`destination parent ${JSON.stringify(dir)} is ${what}; refusing to write through it`);
    }
  }

  /** Throws (UnsafeParentError, or the lstat error) unless `path`'s parents are real folders. */
  check(path: RelPath): void {
    const parent = parentOf(path);
    if (parent === '') return;
    for (const a of ancestorsOf(parent)) {
      if (this.verified.has(a)) break;
      this.checkDir(a);
      this.verified.add(a);
    }
    this.checkDir(parent);
    this.verified.add(parent);
  }

  /** A folder this run created inside a checked parent. */
  trust(path: RelPath): void {
    this.verified.add(path);
  }

  forget(path: RelPath): void {
    this.verified.delete(path);
  }
}
