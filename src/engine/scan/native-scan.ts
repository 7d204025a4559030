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
import { type Addon, nativeAddon, type NativeColumns } from '../native.js';
import { toAbs } from '../paths.js';
import { sameMtime } from '../times.js';
import { LOCK_NAME, TMP_PREFIX } from '../reserved.js';
import type { Entry, RelPath, ScanWarning, Snapshot } from '../types.js';
import type { Side } from './scan-tree.js';
import { toEntry } from './to-entry.js';

const FILE = 0;
const DIR = 1;
const SYMLINK = 2;
const SPECIAL = 3;
const PROBLEM = 4;
const LEFTOVER = 5;
const BAD_NAME = 6;

/** The addon when it is built and allowed; the scanner is used only through it. */
export function nativeScanner(): Addon | undefined {
  return nativeAddon();
}

/** One tree's columns, as the addon gave them, with its paths split. */
interface Scanned {
  readonly root: string;
  readonly rootEntry: Entry;
  readonly cols: NativeColumns;
  readonly paths: readonly string[];
}

async function scanColumns(scanner: Addon, root: string, side: Side): Promise<Scanned> {
  const rootEntry = toEntry(lstatSync(root, { bigint: true }), () => '');
  const cols = await scanner.scan(root, side === 'destination', TMP_PREFIX, LOCK_NAME);
  const paths = cols.kinds.length === 0 ? [] : cols.paths.split('\0');
  return { root, rootEntry, cols, paths };
}

/** Scans `root` like scanTree(root, side) without a filter. Rejects only when the root itself cannot be listed. */
export async function scanTreeNative(scanner: Addon, root: string, side: Side): Promise<Snapshot> {
  return toSnapshot(await scanColumns(scanner, root, side));
}

/**
 * Both trees at once, on two pool threads. With `omitUnchanged` (the quick check), identical file and symlink pairs
 * are left out of both snapshots before any entry is built: the rule of plan/omit-unchanged.ts, on the columns.
 */
export async function scanPairNative(
  scanner: Addon, source: string, destination: string, omitUnchanged: boolean,
): Promise<{ source: Snapshot; destination: Snapshot }> {
  const [s, d] = await Promise.all([scanColumns(scanner, source, 'source'), scanColumns(scanner, destination, 'destination')]);
  if (!omitUnchanged) return { source: toSnapshot(s), destination: toSnapshot(d) };
  const index = new Map<string, number>();
  const dk = d.cols.kinds;
  for (let j = 0; j < dk.length; j++) if (dk[j] === FILE || dk[j] === SYMLINK) index.set(d.paths[j] as string, j);
  const sk = s.cols.kinds;
  const skipS = new Uint8Array(sk.length);
  const skipD = new Uint8Array(dk.length);
  const sn = s.cols.numbers;
  const dn = d.cols.numbers;
  let omitted = 0;
  for (let i = 0; i < sk.length; i++) {
    const kind = sk[i];
    if (kind !== FILE && kind !== SYMLINK) continue;
    const j = index.get(s.paths[i] as string);
    if (j === undefined || dk[j] !== kind) continue;
    const o = i * 4;
    const p = j * 4;
    if (!sameMtime(sn[o + 1] as number, dn[p + 1] as number)) continue;
    const same = kind === FILE
      ? sn[o] === dn[p] && sn[o + 2] === dn[p + 2]
      : s.cols.texts[s.cols.textIndex[i] as number] === d.cols.texts[d.cols.textIndex[j] as number];
    if (!same) continue;
    skipS[i] = 1;
    skipD[j] = 1;
    omitted++;
  }
  return { source: toSnapshot(s, skipS, omitted), destination: toSnapshot(d, skipD, omitted) };
}

function toSnapshot({ root, rootEntry, cols, paths }: Scanned, skip?: Uint8Array, omitted?: number): Snapshot {
  const { kinds, numbers: num, textIndex, texts } = cols;
  const entries = new Map<RelPath, Entry>();
  const leftovers: string[] = [];
  const warnings: ScanWarning[] = [];
  for (let i = 0; i < kinds.length; i++) {
    if (skip?.[i] === 1) continue;
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
