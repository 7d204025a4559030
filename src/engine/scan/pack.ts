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

/**
 * The entry in row `i` of packed columns: kinds in KINDS order (the native scanner's rows use the same order and
 * layout), `num` holding size, mtimeMs, mode, ino per row, `text` the row's link target or special type. Problems
 * are the caller's, since their texts are not encoded alike.
 */
export function rowEntry(kind: number, num: Float64Array, i: number, text: string | undefined): Exclude<Entry, { kind: 'problem' }> {
  const o = i * 4;
  switch (KINDS[kind]) {
    case 'file':
      return { kind: 'file', size: num[o] as number, mtimeMs: num[o + 1] as number, mode: num[o + 2] as number, ino: num[o + 3] as number };
    case 'dir':
      return { kind: 'dir', mtimeMs: num[o + 1] as number, mode: num[o + 2] as number, ino: num[o + 3] as number };
    case 'symlink':
      return { kind: 'symlink', target: text as string, mtimeMs: num[o + 1] as number, ino: num[o + 3] as number };
    default:
      return { kind: 'special', type: text as Extract<Entry, { kind: 'special' }>['type'] };
  }
}

export function unpackSnapshot(p: PackedSnapshot): Snapshot {
  const entries = new Map<RelPath, Entry>();
  const { paths, kinds, numbers, texts } = p;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i] as RelPath;
    const kind = kinds[i] as number;
    if (KINDS[kind] !== 'problem') {
      entries.set(path, rowEntry(kind, numbers, i, texts[i]));
      continue;
    }
    const [code = 'EUNKNOWN', message = ''] = (texts[i] as string).split('\n');
    entries.set(path, { kind: 'problem', code, message });
  }
  return { root: p.root, entries, ...p.rest };
}
