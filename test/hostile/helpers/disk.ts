/** Small disk helpers for hostile cases: FIFOs (Node cannot make them) and a destination's state before a run. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { readTree } from '../../helpers/tree.js';

/** Makes a FIFO at each path (coreutils mkfifo). */
export function mkfifo(...paths: string[]): void {
  execFileSync('mkfifo', paths);
}

/** A destination as it was: missing, or its tree and its root's mode, mtime and inode. */
export function stateOf(dst: string): string {
  if (!existsSync(dst)) return 'missing';
  const st = lstatSync(dst, { bigint: true });
  return JSON.stringify({ root: `${(st.mode & 0o7777n).toString(8)} ${st.mtimeNs} ${st.ino}`, tree: readTree(dst) });
}

/** Returns a check that `dst` is exactly as it is now (a refused run must change nothing, not even the root's mtime). */
export function remember(dst: string): (what?: string) => void {
  const before = stateOf(dst);
  return (what = 'a refused run') => assert.equal(stateOf(dst), before, `${what} changed the destination ${dst}`);
}
