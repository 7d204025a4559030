/**
 * Folder handles for the JavaScript tree. Node has no openat, but on Linux every open descriptor is reachable as
 * `/proc/self/fd/N`, a link the kernel resolves to the open folder itself, not by its path: so a folder opened one
 * component at a time with O_NOFOLLOW | O_DIRECTORY, each relative to the one before, gives names (`at(name)`) that
 * every fs call resolves inside that very folder. A folder swapped for a symlink is then never followed, as with the
 * native addon. Where there is no /proc (macOS, Windows, a container without it), folders are looked at on the way
 * (lstat of every component, right before the step) and names are plain paths: the check-then-act window the README
 * describes.
 */
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { isExists, isGone } from '../../errors.js';
import { toAbs } from '../../paths.js';
import type { RelPath } from '../../types.js';

/** Thrown when a folder on the way is a link or not a folder; apply reports it as the entry's failure (EUNSAFE). */
export class UnsafePathError extends Error {
  readonly code = 'EUNSAFE';
}

/** An open folder of a tree: `at(name)` is a path that resolves to `name` inside it (never through a link on the way). */
export interface Folder {
  at(name: string): string;
  close(): void;
}

const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

let proc: boolean | undefined;
/** Whether folder handles through /proc/self/fd work here (probed once). */
export function procFolders(): boolean {
  proc ??= process.platform === 'linux' && O_DIRECTORY !== 0 && existsSync('/proc/self/fd') && process.env['ABSYNC_NO_PROC_FD'] !== '1';
  return proc;
}

function unsafe(what: string, at: string, isLink: boolean): UnsafePathError {
  return new UnsafePathError(`${what} ${JSON.stringify(at)} is ${isLink ? 'a symlink' : 'not a folder'}; refusing to write through it`);
}

/** Opens folders of one tree; `label` names the tree's kind of folder in messages ("destination folder"). */
export class FolderOpener {
  private rootFd: number | undefined;

  constructor(readonly root: string, private readonly label = 'destination folder') {}

  private root_(): number {
    this.rootFd ??= openSync(this.root, constants.O_RDONLY | O_DIRECTORY);
    return this.rootFd;
  }

  /**
   * The folder `rel` below the root (with `create`, missing folders are made on the way, mode 0700). Throws
   * UnsafePathError when something on the way is not a real folder, and the fs error (ENOENT: gone) otherwise.
   */
  open(rel: RelPath, create = false): Folder {
    if (!procFolders()) return this.byPath(rel, create);
    let fd = this.root_();
    let at = '';
    const owned: number[] = [];
    try {
      for (const name of rel === '' ? [] : rel.split('/')) {
        at = at === '' ? name : `${at}/${name}`;
        const path = `/proc/self/fd/${fd}/${name}`;
        if (create) {
          try {
            mkdirSync(path, { mode: 0o700 });
          } catch (err) {
            if (!isExists(err)) throw err;
          }
        }
        try {
          fd = openSync(path, constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ELOOP' || code === 'ENOTDIR') {
            // O_DIRECTORY | O_NOFOLLOW on a link says ENOTDIR or ELOOP: look, for the message only.
            let link = code === 'ELOOP';
            try {
              link = lstatSync(path).isSymbolicLink();
            } catch {
              /* gone meanwhile: the message stays a guess */
            }
            throw unsafe(this.label, at, link);
          }
          throw err;
        }
        owned.push(fd);
      }
    } catch (err) {
      for (const o of owned) closeSync(o);
      throw err;
    }
    for (const o of owned.slice(0, -1)) closeSync(o);
    const mine = owned.at(-1);
    return {
      at: (name) => (name === '' ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`),
      close: () => {
        if (mine !== undefined) closeSync(mine);
      },
    };
  }

  /** Without /proc: every folder on the way looked at now, names as plain paths. */
  private byPath(rel: RelPath, create: boolean): Folder {
    let at = '';
    for (const name of rel === '' ? [] : rel.split('/')) {
      at = at === '' ? name : `${at}/${name}`;
      const abs = toAbs(this.root, at);
      if (create) {
        try {
          mkdirSync(abs, { mode: 0o700 });
        } catch (err) {
          if (!isExists(err)) throw err;
        }
      }
      const st = lstatSync(abs);
      if (!st.isDirectory()) throw unsafe(this.label, at, st.isSymbolicLink());
    }
    const base = toAbs(this.root, rel);
    return { at: (name) => (name === '' ? base : toAbs(base, name)), close: () => undefined };
  }

  /** Runs `fn` with the folder `rel` open; 'vanished' when it (or a folder above it) is gone. */
  with<T>(rel: RelPath, fn: (folder: Folder) => Promise<T>, create = false): Promise<T | 'vanished'> {
    let folder: Folder;
    try {
      folder = this.open(rel, create);
    } catch (err) {
      if (isGone(err)) return Promise.resolve('vanished');
      return Promise.reject(err);
    }
    return fn(folder).finally(() => folder.close());
  }

  close(): void {
    if (this.rootFd !== undefined) closeSync(this.rootFd);
    this.rootFd = undefined;
  }
}
