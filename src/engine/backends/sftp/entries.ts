/** SFTP attributes and remote paths as the engine's entries and paths. */
import type { DirEntry, Entry, SpecialEntry } from '../../types.js';
import type { RemoteStats } from './remote-fs.js';

const S_IFMT = 0o170000;
const TYPES: Record<number, Entry['kind'] | SpecialEntry['type']> = {
  0o100000: 'file',
  0o040000: 'dir',
  0o120000: 'symlink',
  0o010000: 'fifo',
  0o140000: 'socket',
  0o020000: 'char-device',
  0o060000: 'block-device',
};

/** The kind of entry a mode's type bits say. */
export function kindOfMode(mode: number): Entry['kind'] | 'special' {
  const t = TYPES[mode & S_IFMT];
  return t === 'file' || t === 'dir' || t === 'symlink' ? t : 'special';
}

/**
 * An Entry from SFTP v3 attributes: whole-second mtimes, no inode (0: fingerprints then compare kind, size and mtime).
 * `target` is read separately for links.
 */
export function entryOfStats(st: RemoteStats, target = ''): Entry {
  const mtimeMs = st.mtime * 1000;
  const mode = st.mode & 0o7777;
  switch (kindOfMode(st.mode)) {
    case 'file':
      return { kind: 'file', size: st.size, mtimeMs, mode, ino: 0 };
    case 'dir':
      return { kind: 'dir', mtimeMs, mode, ino: 0 };
    case 'symlink':
      return { kind: 'symlink', target, mtimeMs, ino: 0 };
    default: {
      const t = TYPES[st.mode & S_IFMT];
      return { kind: 'special', type: (t as SpecialEntry['type'] | undefined) ?? 'unknown' };
    }
  }
}

export function dirEntryOf(st: RemoteStats): DirEntry | undefined {
  const e = entryOfStats(st);
  return e.kind === 'dir' ? e : undefined;
}

/** `<root>/<rel>` for remote POSIX paths ('' is the root itself). */
export function remotePath(root: string, rel: string): string {
  if (rel === '') return root;
  return root.endsWith('/') ? root + rel : `${root}/${rel}`;
}
