/**
 * The native scanner (native/scan.c and pair.c): the same walk as the JavaScript scanner (local-js/scan-tree.ts),
 * on a libuv pool thread, each folder opened below the root without following a link. Two trees scan on two threads
 * at once in ~60 ms for 44,000 entries here, where the JavaScript scan takes ~250 ms (bench/README.md).
 *
 * It knows nothing of filters or scopes: the native tree uses it only for a full scan without exclude rules, and the
 * JavaScript scanner everywhere else.
 */
import { lstatSync } from 'node:fs';
import { describeError } from '../../errors.js';
import { LOCK_NAME, reservedReason } from '../../reserved.js';
import { rowEntry } from '../../scan/pack.js';
import { toEntry } from '../../scan/to-entry.js';
import type { DirEntry, Entry, RelPath, ScanWarning, Snapshot } from '../../types.js';
import type { Addon, NativeColumns } from './addon.js';

/** Row kinds (native/results.h): the first five are pack.ts's KINDS order (rowEntry decodes them), then the scanner's own. */
const FILE = 0;
const DIR = 1;
const SYMLINK = 2;
const SPECIAL = 3;
const PROBLEM = 4;
const LEFTOVER = 5;
const BAD_NAME = 6;
const RESERVED = 8;

function rootEntryOf(root: string): DirEntry | undefined {
  const e = toEntry(lstatSync(root, { bigint: true }), () => '');
  return e.kind === 'dir' ? e : undefined;
}

/** Scans `root` like the JavaScript scanner without a filter. Rejects only when the root itself cannot be listed. */
export async function scanTreeNative(addon: Addon, root: string, side: 'source' | 'destination', after?: Promise<void>): Promise<Snapshot> {
  const rootEntry = rootEntryOf(root);
  const cols = await addon.scan(root, side === 'destination', LOCK_NAME);
  // The entries are built on this thread (50 ms for 20k): when the caller says so.
  if (after) await after;
  return toSnapshot(root, rootEntry, cols);
}

/**
 * Both trees at once (native/pair.c: the destination on a second thread). With `omitUnchanged` (the quick check),
 * identical file and symlink pairs are left out of both snapshots in C, before anything is built here: the rule of
 * plan/omit-unchanged.ts (modes compared unless `compareModes` is false).
 */
export async function scanPairNative(
  addon: Addon, source: string, destination: string, omitUnchanged: boolean, compareModes: boolean,
): Promise<{ source: Snapshot; destination: Snapshot }> {
  const roots = { source: rootEntryOf(source), destination: rootEntryOf(destination) };
  const pair = await addon.scanPair(source, destination, LOCK_NAME, omitUnchanged, compareModes);
  const omitted = omitUnchanged ? pair.omitted : undefined;
  return {
    source: toSnapshot(source, roots.source, pair.source, omitted),
    destination: toSnapshot(destination, roots.destination, pair.destination, omitted),
  };
}

function toSnapshot(root: string, rootEntry: DirEntry | undefined, cols: NativeColumns, omitted?: number): Snapshot {
  const { kinds, numbers: num, textIndex, texts } = cols;
  const paths = kinds.length === 0 ? [] : cols.paths.split('\0');
  const entries = new Map<RelPath, Entry>();
  const leftovers: RelPath[] = [];
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
        leftovers.push(path);
        break;
      case BAD_NAME:
        warnings.push({ path, message: 'name is not valid UTF-8; skipped' });
        break;
      case RESERVED:
        warnings.push({ path, message: reservedReason(path.slice(path.lastIndexOf('/') + 1)) });
        break;
      default:
        // A folder that vanished before it could be listed: like the JavaScript scanner, it is not there.
        break;
    }
  }
  return {
    root, entries, excluded: [], leftovers, warnings,
    ...(rootEntry ? { rootEntry } : {}),
    ...(omitted !== undefined ? { omitted } : {}),
  };
}

/** The same `{code, message}` describeError gives for a Node fs error with this code. */
function describeNative(code: string, message: string): { code: string; message: string } {
  return describeError(Object.assign(new Error(`${code}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`), { code }));
}
