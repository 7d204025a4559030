/**
 * The native scanner (native/scan.c, built by `npm install` when a C compiler is there): the same walk as
 * scan-tree.ts, run on a libuv pool thread with names relative to open folders. Two trees scan on two threads at
 * once in ~60 ms for 44,000 entries here, where the JavaScript scan takes ~250 ms (bench/README.md).
 *
 * It knows nothing of filters or scopes: the caller uses it only for a full scan without exclude rules, and falls
 * back to scanTree everywhere else, or when the addon is missing or ABSYNC_NO_NATIVE=1.
 */
import { lstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describeError } from '../errors.js';
import { toAbs } from '../paths.js';
import { LOCK_NAME, TMP_PREFIX } from '../reserved.js';
import type { Entry, RelPath, ScanWarning, Snapshot } from '../types.js';
import type { Side } from './scan-tree.js';
import { toEntry } from './to-entry.js';

/** What the addon resolves with: one row per entry, in columns. */
interface NativeColumns {
  /** Relative paths separated by '\0'. */
  readonly paths: string;
  readonly kinds: Uint8Array;
  /** size, mtimeMs, mode, ino per row. */
  readonly numbers: Float64Array;
  /** Per row: -1, or the index in `texts` of its link target, special type or "code\nmessage". */
  readonly textIndex: Int32Array;
  readonly texts: readonly string[];
}

interface Addon {
  scan(root: string, isDestination: boolean, tmpPrefix: string, lockName: string): Promise<NativeColumns>;
}

const FILE = 0;
const DIR = 1;
const SYMLINK = 2;
const SPECIAL = 3;
const PROBLEM = 4;
const LEFTOVER = 5;
const BAD_NAME = 6;

let addon: Addon | null | undefined;

/** The addon, or undefined when it was not built (or is switched off): callers then use scanTree. */
export function nativeScanner(): Addon | undefined {
  if (addon === undefined) {
    try {
      addon = process.env['ABSYNC_NO_NATIVE'] === '1' ? null : (createRequire(import.meta.url)('../../../../build/Release/absync_native.node') as Addon);
    } catch {
      addon = null;
    }
  }
  return addon ?? undefined;
}

/** Scans `root` like scanTree(root, side) without a filter. Rejects only when the root itself cannot be listed. */
export async function scanTreeNative(scanner: Addon, root: string, side: Side): Promise<Snapshot> {
  const rootEntry = toEntry(lstatSync(root, { bigint: true }), () => '');
  const cols = await scanner.scan(root, side === 'destination', TMP_PREFIX, LOCK_NAME);
  const paths = cols.paths === '' && cols.kinds.length === 0 ? [] : cols.paths.split('\0');
  const { kinds, numbers: num, textIndex, texts } = cols;
  const entries = new Map<RelPath, Entry>();
  const leftovers: string[] = [];
  const warnings: ScanWarning[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const path = paths[i] as RelPath;
    const o = i * 4;
    switch (kinds[i]) {
      case FILE:
        entries.set(path, { kind: 'file', size: num[o] as number, mtimeMs: num[o + 1] as number, mode: num[o + 2] as number, ino: num[o + 3] as number });
        break;
      case DIR:
        entries.set(path, { kind: 'dir', mtimeMs: num[o + 1] as number, mode: num[o + 2] as number, ino: num[o + 3] as number });
        break;
      case SYMLINK:
        entries.set(path, { kind: 'symlink', target: texts[textIndex[i] as number] as string, mtimeMs: num[o + 1] as number, ino: num[o + 3] as number });
        break;
      case SPECIAL:
        entries.set(path, { kind: 'special', type: texts[textIndex[i] as number] as Extract<Entry, { kind: 'special' }>['type'] });
        break;
      case PROBLEM: {
        const [code = 'EUNKNOWN', message = ''] = (texts[textIndex[i] as number] as string).split('\n');
        entries.set(path, { kind: 'problem', ...describeNative(code, message) });
        break;
      }
      case LEFTOVER:
        leftovers.push(toAbs(root, path));
        break;
      case BAD_NAME:
        warnings.push({ path, message: 'name is not valid UTF-8; skipped' });
        break;
      default:
        // A folder that vanished before it could be listed: like scanTree, it is not there.
        break;
    }
  }
  return { root, entries, excluded: [], leftovers, warnings, ...(rootEntry.kind === 'dir' ? { rootEntry } : {}) };
}

/** The same `{code, message}` describeError gives for a Node fs error with this code. */
function describeNative(code: string, message: string): { code: string; message: string } {
  return describeError(Object.assign(new Error(`${code}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`), { code }));
}
