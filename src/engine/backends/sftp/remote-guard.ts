/**
 * Never write through a remote link: before a step writes into a folder, every folder between the destination root
 * and it must be a real folder (LSTAT). Ancestors are checked once per run, the folder itself before every batch, and
 * file writes check it again after uploading and before renaming into place.
 *
 * What SFTP cannot guarantee: the server resolves each request's path anew, and SFTP has no request that refuses to
 * follow a link on the way (no openat, no RESOLVE_NO_SYMLINKS). A folder swapped for a link by another process on the
 * server between our last LSTAT and a request is followed by that request. The checks shrink that window to one round
 * trip per batch; closing it needs code on the server.
 */
import { ancestorsOf } from '../../paths.js';
import type { RelPath } from '../../types.js';
import { kindOfMode, remotePath } from './entries.js';
import { lstat } from './remote-fs.js';
import type { SftpSession } from './session.js';
import { UnsafeParentError } from './steps.js';

export class RemoteParentGuard {
  private readonly verified = new Set<RelPath>(['']);
  constructor(private readonly session: SftpSession, private readonly root: string) {}

  private async checkDir(dir: RelPath): Promise<void> {
    let kind;
    try {
      kind = kindOfMode((await lstat(this.session, remotePath(this.root, dir))).mode);
    } catch (err) {
      this.verified.delete(dir);
      throw err;
    }
    if (kind !== 'dir') {
      this.verified.delete(dir);
      const what = kind === 'symlink' ? 'a symlink' : 'not a folder';
      throw new UnsafeParentError(`destination parent ${JSON.stringify(dir)} is ${what}; refusing to write through it`);
    }
  }

  /** Throws (UnsafeParentError, or the LSTAT error) unless `dir` and its ancestors are real folders. */
  async check(dir: RelPath): Promise<void> {
    if (dir === '') return;
    const unchecked = [...ancestorsOf(dir)].filter((a) => !this.verified.has(a));
    await Promise.all(unchecked.map((a) => this.checkDir(a)));
    for (const a of unchecked) this.verified.add(a);
    await this.checkDir(dir);
    this.verified.add(dir);
  }

  /** A folder this run created inside a checked folder. */
  trust(path: RelPath): void {
    this.verified.add(path);
  }

  forget(path: RelPath): void {
    for (const v of [...this.verified]) if (v === path || v.startsWith(`${path}/`)) this.verified.delete(v);
  }
}
