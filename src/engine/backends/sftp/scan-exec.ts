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
import { createFilter, type PathFilter } from '../../scan/filter.js';
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

/**
 * `%T@` ("1700000000.1234567890") as milliseconds to the microsecond, exactly as the local scans compute them: the
 * nanoseconds since the epoch divided by 1,000 toward zero. find prints the seconds and then the nanoseconds after
 * them, so a time before 1970 reads "-1001.75" for -1000.25 s.
 */
export function parseFindTime(text: string): number {
  const dot = text.indexOf('.');
  const sec = Number(dot < 0 ? text : text.slice(0, dot));
  const nanos = dot < 0 ? 0 : Number(text.slice(dot + 1, dot + 10).padEnd(9, '0'));
  const up = sec < 0 && nanos % 1000 !== 0 ? 1 : 0;
  return (sec * 1e6 + Math.floor(nanos / 1000) + up) / 1000;
}

/** Why the output cannot be used, or the snapshot. */
export type ExecScanResult = { readonly ok: true; readonly snapshot: Snapshot } | { readonly ok: false; readonly why: string };

export async function scanExec(shell: RemoteShell, root: string, label: string, request: ScanRequest): Promise<ExecScanResult> {
  const parser = new FindParser(label, request);
  // What comes before the marker (nothing, once the shell has run a script) is not find's.
  let before: Buffer | undefined = Buffer.alloc(0);
  const code = await shell.stream(findCommand(root), (chunk) => {
    if (!before) return parser.push(chunk);
    before = Buffer.concat([before, chunk]);
    const records = findRecords(before);
    if (records) {
      before = undefined;
      parser.push(records);
    }
  });
  if (code !== 0) return { ok: false, why: `find exited with ${code}` };
  if (before) return { ok: false, why: 'no output from find' };
  return parser.end();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A name's bytes as a string, or undefined when they are not UTF-8. Buffer's decoder is several times faster than a
 * fatal TextDecoder for short strings; only a result holding U+FFFD (a bad byte, or that character itself) is checked.
 */
function nameOf(out: Buffer, start: number, end: number): string | undefined {
  const text = out.toString('utf8', start, end);
  if (!text.includes('\uFFFD')) return text;
  try {
    return utf8.decode(out.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** The digits of out[start, end) in `base`, or NaN when one is not a digit (find prints nothing else there). */
function digits(out: Buffer, start: number, end: number, base: 8 | 10): number {
  if (start >= end) return Number.NaN;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = (out[i] as number) - 48;
    if (d < 0 || d >= base) return Number.NaN;
    n = n * base + d;
  }
  return n;
}

/** `%T@` read from its bytes (the common case: no sign), as parseFindTime reads its text. */
function timeOf(out: Buffer, start: number, end: number): number {
  if (out[start] === 45 /* - */) return parseFindTime(out.toString('latin1', start, end));
  const dot = out.indexOf(46 /* . */, start);
  if (dot < 0 || dot >= end) return digits(out, start, end, 10) * 1000;
  const sec = digits(out, start, dot, 10);
  let frac = 0;
  for (let i = dot + 1; i < dot + 7; i++) {
    const d = i < end ? (out[i] as number) - 48 : 0;
    if (d < 0 || d > 9) return Number.NaN;
    frac = frac * 10 + d;
  }
  return (sec * 1e6 + frac) / 1000;
}

/**
 * Reads find's records as they arrive (pushed in chunks of any size: a record cut between two is read once whole),
 * so that a long listing is parsed while the server still walks the tree.
 */
export class FindParser {
  private readonly filter: PathFilter;
  private readonly entries = new Map<RelPath, Entry>();
  private readonly excluded: RelPath[] = [];
  private readonly leftovers: RelPath[] = [];
  private readonly warnings: ScanWarning[] = [];
  /**
   * Folders whose contents are not entries: excluded, reserved, or with a name that is not UTF-8. Folders only: while
   * the set is not empty, every record walks its parents through it.
   */
  private readonly skipped = new Set<RelPath>();
  private rootEntry: DirEntry | undefined;
  /** The end of the last chunk, from a record's start: read with the next chunk. */
  private rest: Buffer = Buffer.alloc(0);
  private failed: string | undefined;

  constructor(private readonly label: string, private readonly request: ScanRequest) {
    this.filter = createFilter(request.rules);
  }

  push(chunk: Buffer): void {
    if (this.failed !== undefined) return;
    let out = chunk;
    if (this.rest.length > 0) {
      // Only the record cut between the chunks is joined (it needs its two NULs); the rest is read in place, not
      // copied chunk after chunk.
      let need = this.rest.indexOf(0) < 0 ? 2 : 1;
      let end = -1;
      while (need > 0 && (end = chunk.indexOf(0, end + 1)) >= 0) need--;
      if (need > 0) {
        this.rest = Buffer.concat([this.rest, chunk]);
        return;
      }
      const joined = Buffer.concat([this.rest, chunk.subarray(0, end + 1)]);
      this.rest = Buffer.alloc(0);
      const done = this.records(joined);
      if (typeof done === 'string' || done !== joined.length) {
        this.failed = typeof done === 'string' ? done : 'malformed find record';
        return;
      }
      out = chunk.subarray(end + 1);
    }
    const done = this.records(out);
    if (typeof done === 'string') this.failed = done;
    else this.rest = out.subarray(done);
  }

  end(): ExecScanResult {
    if (this.failed !== undefined) return { ok: false, why: this.failed };
    if (this.rest.length > 0) return { ok: false, why: 'find output ends mid-record' };
    if (!this.rootEntry) return { ok: false, why: 'find did not print the root folder' };
    const { label: root, entries, excluded, leftovers, warnings, rootEntry } = this;
    return { ok: true, snapshot: { root, entries, excluded, leftovers, warnings, rootEntry } };
  }

  /** Reads the whole records in `out`; where the first one not whole starts, or why the output cannot be used. */
  private records(out: Buffer): number | string {
    const { side } = this.request;
    const { filter, entries, skipped, warnings } = this;
    let p = 0;
    // Where the five fields before the path end (each at a space).
    const ends = [0, 0, 0, 0, 0];
    while (p < out.length) {
      const a = out.indexOf(0, p);
      const b = a < 0 ? -1 : out.indexOf(0, a + 1);
      if (b < 0) return p;
      // Five fields, then the path (which may hold spaces).
      let q = p;
      for (let k = 0; k < 5; k++) {
        const sp = out.indexOf(32, q);
        if (sp < 0 || sp >= a) return 'malformed find record';
        ends[k] = sp;
        q = sp + 1;
      }
      const record = p;
      p = b + 1;
      const type = String.fromCharCode(out[record] as number);
      const isDir = type === 'd' || type === 'U';
      const maybePath = nameOf(out, q, a);
      if (maybePath === undefined) {
        const lossy = out.toString('utf8', q, a);
        if (!insideSkipped(skipped, lossy)) warnings.push({ path: lossy, message: 'name is not valid UTF-8; skipped' });
        if (isDir) skipped.add(lossy);
        continue;
      }
      const path: RelPath = maybePath;
      const [e0, e1, e2, e3, e4] = ends as [number, number, number, number, number];
      if (e0 !== record + 1) return 'malformed find record';
      const mode = digits(out, e0 + 1, e1, 8);
      const size = digits(out, e1 + 1, e2, 10);
      const mtimeMs = timeOf(out, e2 + 1, e3);
      const ino = digits(out, e3 + 1, e4, 10);
      if (path === '') {
        if (type === 'U') return 'the root folder cannot be listed';
        if (type === 'd') this.rootEntry = { kind: 'dir', mode, mtimeMs, ino };
        continue;
      }
      if (skipped.size > 0 && insideSkipped(skipped, path)) continue;
      // Every reserved name (temporaries, the lock) starts with a dot: only such a name is looked at closer.
      const slash = out.lastIndexOf(47 /* / */, a - 1);
      if (out[slash >= q ? slash + 1 : q] === 46 /* . */) {
        const dir = parentOf(path);
        const name = dir === '' ? path : path.slice(dir.length + 1);
        // Only a folder's name is kept to skip what is below it: with a file in the set (the run's own lock, always
        // there), every later record would walk its parents.
        if (isTempName(name)) {
          if (side === 'destination') this.leftovers.push(path);
          if (isDir) skipped.add(path);
          continue;
        }
        if (dir === '' && (name === LOCK_NAME || name === TAKEOVER_NAME)) {
          if (isDir) skipped.add(path);
          continue;
        }
      }
      if (filter.active && filter.excludes(path, isDir)) {
        this.excluded.push(path);
        if (isDir) skipped.add(path);
        continue;
      }
      let entry: Entry;
      switch (type) {
        case 'f':
          entry = { kind: 'file', size, mtimeMs, mode, ino };
          break;
        case 'd':
          entry = { kind: 'dir', mode, mtimeMs, ino };
          break;
        case 'l': {
          const target = nameOf(out, a + 1, b);
          if (target === undefined) {
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
    return p;
  }
}

/** All of find's output at once. */
export function parseFindOutput(out: Buffer, label: string, request: ScanRequest): ExecScanResult {
  const parser = new FindParser(label, request);
  parser.push(out);
  return parser.end();
}

function insideSkipped(skipped: ReadonlySet<RelPath>, path: RelPath): boolean {
  for (let d = parentOf(path); d !== ''; d = parentOf(d)) if (skipped.has(d)) return true;
  return false;
}
