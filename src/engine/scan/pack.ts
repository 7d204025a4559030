/**
 * A Snapshot in columns, for the trip from the scan worker to the main thread: cloning 20,000 small objects costs
 * more than the scan saves, while a few arrays of numbers and one array of strings cross almost for free.
 */
import type { Entry, RelPath, Snapshot } from '../types.js';

const KINDS = ['file', 'dir', 'symlink', 'special', 'problem'] as const;

export interface PackedSnapshot {
  readonly root: string;
  readonly paths: RelPath[];
  readonly kinds: Uint8Array;
  /** size, mtimeMs, mode, ino per entry. */
  readonly numbers: Float64Array;
  /** Link targets, special types and problem messages, by entry index. */
  readonly texts: Record<number, string>;
  readonly rest: Omit<Snapshot, 'root' | 'entries'>;
}

export function packSnapshot(s: Snapshot): PackedSnapshot {
  const n = s.entries.size;
  const paths: RelPath[] = new Array(n);
  const kinds = new Uint8Array(n);
  const numbers = new Float64Array(n * 4);
  const texts: Record<number, string> = {};
  let i = 0;
  for (const [path, e] of s.entries) {
    paths[i] = path;
    kinds[i] = KINDS.indexOf(e.kind);
    const o = i * 4;
    switch (e.kind) {
      case 'file':
        numbers[o] = e.size;
        numbers[o + 1] = e.mtimeMs;
        numbers[o + 2] = e.mode;
        numbers[o + 3] = e.ino;
        break;
      case 'dir':
        numbers[o + 1] = e.mtimeMs;
        numbers[o + 2] = e.mode;
        numbers[o + 3] = e.ino;
        break;
      case 'symlink':
        numbers[o + 1] = e.mtimeMs;
        numbers[o + 3] = e.ino;
        texts[i] = e.target;
        break;
      case 'special':
        texts[i] = e.type;
        break;
      case 'problem':
        texts[i] = `${e.code}\n${e.message}`;
        break;
    }
    i++;
  }
  const { root, entries: _entries, ...rest } = s;
  return { root, paths, kinds, numbers, texts, rest };
}

export function unpackSnapshot(p: PackedSnapshot): Snapshot {
  const entries = new Map<RelPath, Entry>();
  const { paths, kinds, numbers, texts } = p;
  for (let i = 0; i < paths.length; i++) {
    const o = i * 4;
    const path = paths[i] as RelPath;
    switch (KINDS[kinds[i] as number]) {
      case 'file':
        entries.set(path, { kind: 'file', size: numbers[o] as number, mtimeMs: numbers[o + 1] as number, mode: numbers[o + 2] as number, ino: numbers[o + 3] as number });
        break;
      case 'dir':
        entries.set(path, { kind: 'dir', mtimeMs: numbers[o + 1] as number, mode: numbers[o + 2] as number, ino: numbers[o + 3] as number });
        break;
      case 'symlink':
        entries.set(path, { kind: 'symlink', target: texts[i] as string, mtimeMs: numbers[o + 1] as number, ino: numbers[o + 3] as number });
        break;
      case 'special':
        entries.set(path, { kind: 'special', type: texts[i] as Extract<Entry, { kind: 'special' }>['type'] });
        break;
      default: {
        const [code = 'EUNKNOWN', message = ''] = (texts[i] as string).split('\n');
        entries.set(path, { kind: 'problem', code, message });
      }
    }
  }
  return { root: p.root, entries, ...p.rest };
}
