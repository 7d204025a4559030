/** What apply expects to find before it destroys a destination entry. */
import type { Entry, Fingerprint } from '../types.js';

export function fingerprintOf(e: Entry): Fingerprint {
  switch (e.kind) {
    case 'file':
      return { kind: 'file', size: e.size, mtimeMs: e.mtimeMs, ino: e.ino };
    case 'dir':
    case 'symlink':
      return { kind: e.kind, ino: e.ino };
    default:
      return { kind: e.kind };
  }
}
