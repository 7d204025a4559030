/**
 * Lists a remote tree with one `find -printf` over an exec channel, where the account may run commands (the fastest
 * scan: 0.19 s and 2 MB of output for 20k entries here). Records are NUL-separated, so newlines in names are safe:
 * `type mode size mtime inode path\0linktarget\0`, with sub-second mtimes (`%T@`). A folder the account cannot list
 * is printed as a `U` record and pruned (find's `-readable`/`-executable` use access(2), as the listing would). When
 * find reports any other trouble (an entry vanished mid-walk, a find without -printf), the caller falls back to the
 * SFTP scan rather than trust a listing with holes.
 */
import { parentOf } from '../../paths.js';
import { isTempName, LOCK_NAME, TAKEOVER_NAME } from '../../reserved.js';
import { createFilter } from '../../scan/filter.js';
import type { DirEntry, Entry, RelPath, ScanWarning, Snapshot, SpecialEntry } from '../../types.js';
import type { ScanRequest } from '../tree.js';
import { shQuote } from './shell.js';
import type { RemoteShell } from './remote-shell.js';

/** Marks where find's output starts (a login shell's startup files may print before it). */
const BEGIN = 'ABSYNC-FIND\0';

const RECORD = "'%y %m %s %T@ %i %P\\0%l\\0'";
const UNREADABLE = "'U %m 0 %T@ %i %P\\0\\0'";
const PRINT_BEGIN = `printf '${BEGIN.replace('\0', '\\0')}'`;

/** The whole tree below `root`, the root itself first. */
export function findCommand(root: string): string {
  return `${PRINT_BEGIN}; LC_ALL=C find ${shQuote(root)} \\( -type d \\( ! -readable -o ! -executable \\) -printf ${UNREADABLE} -prune \\) -o -printf ${RECORD}`;
}

/** The root folder alone (its sub-second mtime). */
export function findRootCommand(root: string): string {
  return `${PRINT_BEGIN}; LC_ALL=C find ${shQuote(root)} -maxdepth 0 -printf ${RECORD}`;
}

/** The records after the marker, or undefined when the marker is missing. */
export function findRecords(stdout: Buffer): Buffer | undefined {
  const start = stdout.indexOf(BEGIN);
  return start < 0 ? undefined : stdout.subarray(start + Buffer.byteLength(BEGIN));
}

const SPECIAL: Record<string, SpecialEntry['type']> = { p: 'fifo', s: 'socket', c: 'char-device', b: 'block-device' };

/** `%T@` ("1700000000.1234567890") as milliseconds floored to the microsecond, exactly as the local scan computes them. */
export function parseFindTime(text: string): number {
  const dot = text.indexOf('.');
  const sec = dot < 0 ? text : text.slice(0, dot);
  const frac = dot < 0 ? '' : text.slice(dot + 1, dot + 7).padEnd(6, '0');
  if (sec.startsWith('-')) return Number(`${sec}.${frac}`) * 1000;
  return (Number(sec) * 1e6 + Number(frac)) / 1000;
}

/** Why the output cannot be used, or the snapshot. */
export type ExecScanResult = { readonly ok: true; readonly snapshot: Snapshot } | { readonly ok: false; readonly why: string };

export async function scanExec(shell: RemoteShell, root: string, label: string, request: ScanRequest): Promise<ExecScanResult> {
  const r = await shell.run(findCommand(root));
  if (r.code !== 0) return { ok: false, why: `find exited with ${r.code}` };
  const records = findRecords(r.stdout);
  if (!records) return { ok: false, why: 'no output from find' };
  return parseFindOutput(records, label, request);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseFindOutput(out: Buffer, label: string, request: ScanRequest): ExecScanResult {
  const { side } = request;
  const filter = createFilter(request.rules);
  const entries = new Map<RelPath, Entry>();
  const excluded: RelPath[] = [];
  const leftovers: RelPath[] = [];
  const warnings: ScanWarning[] = [];
  // Folders whose contents are not entries: excluded, reserved, or with a name that is not UTF-8.
  const skipped = new Set<RelPath>();
  let rootEntry: DirEntry | undefined;
  let p = 0;
  while (p < out.length) {
    const a = out.indexOf(0, p);
    const b = a < 0 ? -1 : out.indexOf(0, a + 1);
    if (b < 0) return { ok: false, why: 'find output ends mid-record' };
    const head = out.subarray(p, a);
    const linkBytes = out.subarray(a + 1, b);
    p = b + 1;
    // Five fields, then the path (which may hold spaces).
    let q = 0;
    const fields: string[] = [];
    for (let k = 0; k < 5; k++) {
      const sp = head.indexOf(32, q);
      if (sp < 0) return { ok: false, why: 'malformed find record' };
      fields.push(head.toString('latin1', q, sp));
      q = sp + 1;
    }
    const [type, modeText, sizeText, timeText, inoText] = fields as [string, string, string, string, string];
    let path: RelPath;
    try {
      path = utf8.decode(head.subarray(q));
    } catch {
      const lossy = head.subarray(q).toString('utf8');
      if (!insideSkipped(skipped, lossy)) warnings.push({ path: lossy, message: 'name is not valid UTF-8; skipped' });
      skipped.add(lossy);
      continue;
    }
    const mode = parseInt(modeText, 8);
    const mtimeMs = parseFindTime(timeText);
    const ino = Number(inoText);
    if (path === '') {
      if (type === 'U') return { ok: false, why: 'the root folder cannot be listed' };
      if (type === 'd') rootEntry = { kind: 'dir', mode, mtimeMs, ino };
      continue;
    }
    if (skipped.size > 0 && insideSkipped(skipped, path)) continue;
    const dir = parentOf(path);
    const name = dir === '' ? path : path.slice(dir.length + 1);
    if (isTempName(name)) {
      if (side === 'destination') leftovers.push(path);
      skipped.add(path);
      continue;
    }
    if (dir === '' && (name === LOCK_NAME || name === TAKEOVER_NAME)) {
      skipped.add(path);
      continue;
    }
    const isDir = type === 'd' || type === 'U';
    if (filter.active && filter.excludes(path, isDir)) {
      excluded.push(path);
      skipped.add(path);
      continue;
    }
    let entry: Entry;
    switch (type) {
      case 'f':
        entry = { kind: 'file', size: Number(sizeText), mtimeMs, mode, ino };
        break;
      case 'd':
        entry = { kind: 'dir', mode, mtimeMs, ino };
        break;
      case 'l': {
        let target: string;
        try {
          target = utf8.decode(linkBytes);
        } catch {
          warnings.push({ path, message: 'link target is not valid UTF-8; skipped' });
          continue;
        }
        entry = { kind: 'symlink', target, mtimeMs, ino };
        break;
      }
      case 'U':
        entry = { kind: 'problem', code: 'EACCES', message: 'permission denied (EACCES)' };
        break;
      default:
        entry = { kind: 'special', type: SPECIAL[type] ?? 'unknown' };
    }
    entries.set(path, entry);
  }
  if (!rootEntry) return { ok: false, why: 'find did not print the root folder' };
  return { ok: true, snapshot: { root: label, entries, excluded, leftovers, warnings, rootEntry } };
}

function insideSkipped(skipped: ReadonlySet<RelPath>, path: RelPath): boolean {
  for (let d = parentOf(path); d !== ''; d = parentOf(d)) if (skipped.has(d)) return true;
  return false;
}
