/**
 * Checks that a destination is an exact mirror of the source: same entries, kinds, sizes, permission bits, symlink
 * targets and mtimes (within 1 microsecond: rsync keeps nanoseconds, Node sets mtimes through a double), and the same
 * bytes for the files a scenario changed (or for every file, once per scenario).
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';

export interface Meta {
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
  readonly size: number;
  readonly mode: number;
  readonly mtimeNs: bigint;
  readonly target?: string;
}

/** Every entry of a tree by relative path ('' is the root itself). */
export type TreeSnapshot = Map<string, Meta>;

function metaOf(abs: string): Meta {
  const st = lstatSync(abs, { bigint: true });
  const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return {
    kind,
    size: kind === 'file' ? Number(st.size) : 0,
    mode: Number(st.mode & 0o7777n),
    mtimeNs: st.mtimeNs,
    ...(kind === 'symlink' ? { target: readlinkSync(abs) } : {}),
  };
}

export function snapshot(root: string): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  out.set('', metaOf(root));
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop() as string;
    for (const d of readdirSync(rel === '' ? root : join(root, rel), { withFileTypes: true })) {
      const child = rel === '' ? d.name : `${rel}/${d.name}`;
      const meta = metaOf(join(root, child));
      out.set(child, meta);
      if (meta.kind === 'dir') stack.push(child);
    }
  }
  return out;
}

/** Files only, sorted (the scenarios pick from this list). */
export function filesOf(snap: TreeSnapshot): string[] {
  const files: string[] = [];
  for (const [rel, m] of snap) if (m.kind === 'file') files.push(rel);
  return files.sort();
}

const MTIME_TOLERANCE_NS = 1000n;
const SHOW = 5;

function describe(rel: string): string {
  return rel === '' ? '(root)' : rel;
}

/** Differences between the source snapshot and the destination's; empty when the metadata mirror is exact. */
export function compareMeta(src: TreeSnapshot, dst: TreeSnapshot): string[] {
  const problems: string[] = [];
  let missing = 0;
  let extra = 0;
  let other = 0;
  const note = (line: string, kind: 'missing' | 'extra' | 'other'): void => {
    if (kind === 'missing') missing++;
    else if (kind === 'extra') extra++;
    else other++;
    if (problems.length < SHOW) problems.push(line);
  };
  for (const [rel, s] of src) {
    const d = dst.get(rel);
    if (!d) {
      note(`missing ${s.kind}: ${describe(rel)}`, 'missing');
      continue;
    }
    if (d.kind !== s.kind) {
      note(`${describe(rel)}: is a ${d.kind}, source has a ${s.kind}`, 'other');
      continue;
    }
    if (s.kind === 'file' && d.size !== s.size) note(`${describe(rel)}: size ${d.size}, source ${s.size}`, 'other');
    else if (s.kind !== 'symlink' && d.mode !== s.mode) note(`${describe(rel)}: mode ${d.mode.toString(8)}, source ${s.mode.toString(8)}`, 'other');
    else if (s.kind === 'symlink' && d.target !== s.target) note(`${describe(rel)}: link to ${d.target}, source ${s.target}`, 'other');
    else {
      const diff = d.mtimeNs - s.mtimeNs;
      if (diff > MTIME_TOLERANCE_NS || diff < -MTIME_TOLERANCE_NS) {
        note(`${describe(rel)}: ${s.kind} mtime off by ${formatNs(diff)}`, 'other');
      }
    }
  }
  for (const [rel, d] of dst) if (!src.has(rel)) note(`extra ${d.kind}: ${describe(rel)}`, 'extra');
  const total = missing + extra + other;
  if (total > problems.length) problems.push(`... ${total} differences in all (${missing} missing, ${extra} extra, ${other} different)`);
  return problems;
}

function formatNs(ns: bigint): string {
  const abs = ns < 0n ? -ns : ns;
  const sign = ns < 0n ? '-' : '+';
  if (abs < 1_000_000n) return `${sign}${abs} ns`;
  if (abs < 1_000_000_000n) return `${sign}${Number(abs) / 1e6} ms`;
  return `${sign}${Number(abs) / 1e9} s`;
}

const BUF = 1 << 20;
const bufA = Buffer.allocUnsafe(BUF);
const bufB = Buffer.allocUnsafe(BUF);

/** True when the two files have the same bytes. Reads both through reused buffers. */
export function sameBytes(a: string, b: string): boolean {
  const fa = openSync(a, 'r');
  try {
    const fb = openSync(b, 'r');
    try {
      for (;;) {
        const na = readSync(fa, bufA, 0, BUF, null);
        let nb = 0;
        while (nb < na) {
          const n = readSync(fb, bufB, nb, na - nb, null);
          if (n === 0) break;
          nb += n;
        }
        if (na !== nb) return false;
        if (na === 0) return readSync(fb, bufB, 0, 1, null) === 0;
        if (bufA.compare(bufB, 0, nb, 0, na) !== 0) return false;
      }
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

/** Compares the bytes of the listed files (relative paths); returns a problem line per differing file, a few at most. */
export function compareContent(srcRoot: string, dstRoot: string, files: Iterable<string>): string[] {
  const problems: string[] = [];
  let bad = 0;
  for (const rel of files) {
    let same: boolean;
    try {
      same = sameBytes(join(srcRoot, rel), join(dstRoot, rel));
    } catch {
      same = false;
    }
    if (!same) {
      bad++;
      if (problems.length < SHOW) problems.push(`${rel}: content differs`);
    }
  }
  if (bad > problems.length) problems.push(`... ${bad} files with different content`);
  return problems;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly problems: string[];
  readonly contentChecked: number;
}

/**
 * Verifies `dstRoot` against the source snapshot: metadata of every entry, and content of `changed` (or every
 * file when `fullContent`).
 */
export function verifyMirror(srcRoot: string, src: TreeSnapshot, dstRoot: string, changed: readonly string[], fullContent: boolean): VerifyResult {
  let dst: TreeSnapshot;
  try {
    dst = snapshot(dstRoot);
  } catch (e) {
    return { ok: false, problems: [`cannot scan destination: ${(e as Error).message}`], contentChecked: 0 };
  }
  const problems = compareMeta(src, dst);
  const files = fullContent ? filesOf(src) : changed.filter((f) => src.get(f)?.kind === 'file' && dst.get(f)?.kind === 'file');
  if (problems.length === 0) problems.push(...compareContent(srcRoot, dstRoot, files));
  return { ok: problems.length === 0, problems, contentChecked: files.length };
}
