/**
 * Test trees from a declarative spec, and read back from disk for comparison.
 * Spec keys are relative paths; a value is file content (string or bytes), a folder ({ dir: true }),
 * a symlink ({ link: 'target' }) or a file with attributes ({ data, mode, mtime }).
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync, lutimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import assert from 'node:assert/strict';

export type FileSpec = string | Uint8Array | { data: string | Uint8Array; mode?: number; mtime?: number };
export type NodeSpec = FileSpec | { dir: true; mode?: number; mtime?: number } | { link: string };
export type TreeSpec = Record<string, NodeSpec>;

const made: string[] = [];

/** A fresh temporary folder, removed when the test process exits (each test file runs in its own process). */
export function tmp(prefix = 'absync-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0) process.once('exit', removeAll);
  made.push(dir);
  return dir;
}

function removeAll(): void {
  for (const d of made) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* a mount point left by a failed test: the OS cleans tmp */
    }
  }
}

function isDirSpec(v: NodeSpec): v is { dir: true; mode?: number; mtime?: number } {
  return typeof v === 'object' && !(v instanceof Uint8Array) && 'dir' in v;
}
function isLinkSpec(v: NodeSpec): v is { link: string } {
  return typeof v === 'object' && !(v instanceof Uint8Array) && 'link' in v;
}

/** Writes a spec under `root` (created if missing). Times are set after all content, deepest first. */
export function writeTree(root: string, spec: TreeSpec): string {
  mkdirSync(root, { recursive: true });
  const times: [string, number, boolean][] = [];
  const modes: [string, number][] = [];
  for (const [rel, v] of Object.entries(spec)) {
    const abs = join(root, rel);
    if (isDirSpec(v)) {
      mkdirSync(abs, { recursive: true });
      if (v.mode !== undefined) modes.push([abs, v.mode]);
      if (v.mtime !== undefined) times.push([abs, v.mtime, false]);
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    if (isLinkSpec(v)) {
      symlinkSync(v.link, abs);
      continue;
    }
    const f = typeof v === 'string' || v instanceof Uint8Array ? { data: v } : v;
    writeFileSync(abs, f.data);
    if (f.mode !== undefined) chmodSync(abs, f.mode);
    if (f.mtime !== undefined) times.push([abs, f.mtime, false]);
  }
  for (const [abs, mode] of modes) chmodSync(abs, mode);
  times.sort((a, b) => b[0].length - a[0].length);
  for (const [abs, mtime] of times) utimesSync(abs, mtime, mtime);
  return root;
}

/** One line per entry describing everything a mirror must keep: kind, content hash, mode, mtime (ms), link target. */
export interface ReadOptions {
  /** Include mtimes (of files, links, and folders). Default true. */
  mtimes?: boolean;
  /** Include folder mtimes. Default true. */
  dirMtimes?: boolean;
}

export function readTree(root: string, opts: ReadOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const mt = opts.mtimes ?? true;
  const dmt = mt && (opts.dirMtimes ?? true);
  // Microseconds: the precision Node can set (see src/engine/times.ts).
  const ms = (ns: bigint): string => (ns / 1000n).toString();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(root, r);
      const st = lstatSync(abs, { bigint: true });
      if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(abs)}${mt ? ` @${ms(st.mtimeNs)}` : ''}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${(st.mode & 0o7777n).toString(8)}${dmt ? ` @${ms(st.mtimeNs)}` : ''}`;
        walk(r);
      } else if (st.isFile()) {
        const h = createHash('sha1').update(readFileSync(abs)).digest('hex').slice(0, 12);
        out[r] = `file ${st.size} ${h} ${(st.mode & 0o7777n).toString(8)}${mt ? ` @${ms(st.mtimeNs)}` : ''}`;
      } else out[r] = 'special';
    }
  };
  walk('');
  return out;
}

/**
 * How far (in microseconds) a mirrored mtime may land from its source's on this platform: Windows libuv stores
 * utimes times on a ~1.6 us grid (100 ns ticks through a double), so a copy can land one microsecond off.
 */
export const MTIME_SLOP_US = process.platform === 'win32' ? 1 : 0;

/** `tree` with every `@mtime` that lies within MTIME_SLOP_US of `like`'s replaced by `like`'s, for a diff of real differences. */
export function withinSlop(tree: Record<string, string>, like: Record<string, string>): Record<string, string> {
  if (MTIME_SLOP_US === 0) return tree;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tree)) {
    const want = like[k];
    const a = /^(.*) @(\d+)$/.exec(v);
    const b = want === undefined ? null : /^(.*) @(\d+)$/.exec(want);
    out[k] = a && b && a[1] === b[1] && Math.abs(Number(BigInt(a[2] as string) - BigInt(b[2] as string))) <= MTIME_SLOP_US ? (want as string) : v;
  }
  return out;
}

/** Asserts that `dst` is an exact mirror of `src`: same entries, contents, modes, mtimes (to the platform's precision) and link targets. */
export function assertMirror(src: string, dst: string, opts: ReadOptions = {}): void {
  const want = readTree(src, opts);
  assert.deepEqual(withinSlop(readTree(dst, opts), want), want);
}

/**
 * True when `dst` mirrors `src`; false while a run in another process is still writing (its lock or a temporary
 * file vanishing mid-read included). For polling with until(), where assertMirror would fail on the first look.
 */
export function isMirror(src: string, dst: string, opts: ReadOptions = {}): boolean {
  try {
    const want = readTree(src, opts);
    assert.deepEqual(withinSlop(readTree(dst, opts), want), want);
    return true;
  } catch {
    return false;
  }
}

/** Inode numbers and mtimes of every entry, to prove that a run touched nothing. */
export function inodes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      out[r] = `${st.ino}:${st.mtimeMs}:${st.ctimeMs}`;
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

export function setMtime(path: string, seconds: number): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) lutimesSync(path, seconds, seconds);
  else utimesSync(path, seconds, seconds);
}
