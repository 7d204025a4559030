/**
 * The native scanner (native/scan.c, built by `npm install` when a C compiler is there): the same walk as
 * scan-tree.ts, run on a libuv pool thread with names relative to open folders. Two trees scan on two threads at
 * once in ~60 ms for 44,000 entries here, where the JavaScript scan takes ~250 ms (bench/README.md).
 *
 * It knows nothing of filters or scopes: the caller uses it only for a full scan without exclude rules, and falls
 * back to scanTree everywhere else, or when the addon is missing or ABSYNC_NO_NATIVE=1.
 */
import { lstatSync } from 'node:fs';
import { describeError } from '../errors.js';
import type { Addon, NativeColumns } from '../native.js';
import { toAbs } from '../paths.js';
import { LOCK_NAME, TMP_PREFIX } from '../reserved.js';
import type { Entry, RelPath, ScanWarning, Snapshot } from '../types.js';
import { rowEntry } from './pack.js';
import type { Side } from './scan-tree.js';
import { toEntry } from './to-entry.js';

/** Row kinds: the first five are pack.ts's KINDS order (rowEntry decodes them), then the scanner's own. */
const FILE = 0;
const DIR = 1;
const SYMLINK = 2;
const SPECIAL = 3;
const PROBLEM = 4;
const LEFTOVER = 5;
const BAD_NAME = 6;

/** One tree's columns, as the addon gave them, with its paths split. */
interface Scanned {
  readonly root: string;
  readonly rootEntry: Entry;
  readonly cols: NativeColumns;
  readonly paths: readonly string[];
}

function rootEntryOf(root: string): Entry {
  return toEntry(lstatSync(root, { bigint: true }), () => '');
}

function scanned(root: string, rootEntry: Entry, cols: NativeColumns): Scanned {
  return { root, rootEntry, cols, paths: cols.kinds.length === 0 ? [] : cols.paths.split('\0') };
}

/** Scans `root` like scanTree(root, side) without a filter. Rejects only when the root itself cannot be listed. */
export async function scanTreeNative(scanner: Addon, root: string, side: Side): Promise<Snapshot> {
  const rootEntry = rootEntryOf(root);
  return toSnapshot(scanned(root, rootEntry, await scanner.scan(root, side === 'destination', TMP_PREFIX, LOCK_NAME)));
}

/**
 * Both trees at once (native/pair.c: the destination on a second thread). With `omitUnchanged` (the quick check),
 * identical file and symlink pairs are left out of both snapshots in C, before anything is built here: the rule of
 * plan/omit-unchanged.ts.
 */
export async function scanPairNative(
  scanner: Addon, source: string, destination: string, omitUnchanged: boolean,
): Promise<{ source: Snapshot; destination: Snapshot }> {
  const roots = { source: rootEntryOf(source), destination: rootEntryOf(destination) };
  const pair = await scanner.scanPair(source, destination, TMP_PREFIX, LOCK_NAME, omitUnchanged);
  const omitted = omitUnchanged ? pair.omitted : undefined;
  return {
    source: toSnapshot(scanned(source, roots.source, pair.source), omitted),
    destination: toSnapshot(scanned(destination, roots.destination, pair.destination), omitted),
  };
}

function toSnapshot({ root, rootEntry, cols, paths }: Scanned, omitted?: number): Snapshot {
  const { kinds, numbers: num, textIndex, texts } = cols;
  const entries = new Map<RelPath, Entry>();
  const leftovers: string[] = [];
  const warnings: ScanWarning[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const path = paths[i] as RelPath;
    switch (kinds[i]) {
      case FILE:
      case DIR:
      case SYMLINK:
      case SPECIAL:
        entries.set(path, rowEntry(kinds[i] as number, num, i, texts[textIndex[i] as number]));
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
  return {
    root, entries, excluded: [], leftovers, warnings,
    ...(rootEntry.kind === 'dir' ? { rootEntry } : {}),
    ...(omitted !== undefined ? { omitted } : {}),
  };
}

/** The same `{code, message}` describeError gives for a Node fs error with this code. */
function describeNative(code: string, message: string): { code: string; message: string } {
  return describeError(Object.assign(new Error(`${code}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`), { code }));
}
