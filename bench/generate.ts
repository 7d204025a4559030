/**
 * Builds a set's source tree, deterministically from a seed: the same flags give the same names, sizes, modes,
 * mtimes and bytes. Writes with synchronous fs calls from one reused random pool, which is the fastest way here.
 */
import { closeSync, lutimesSync, mkdirSync, openSync, symlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { intIn, Keystream, pickSome, prng } from './random.js';

/** A folder tree of many small files (the `small` and `wide` sets). */
export interface TreeShape {
  readonly kind: 'tree';
  readonly files: number;
  readonly dirs: number;
  /** Largest file size in bytes; sizes are uniform in [1, maxSize], plus a few empty files. */
  readonly maxSize: number;
  readonly symlinks: number;
}

/** A few big incompressible files (the `large` set). */
export interface LargeShape {
  readonly kind: 'large';
  readonly files: number;
  readonly size: number;
}

export type Shape = TreeShape | LargeShape;

export interface Generated {
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly bytes: number;
  /** The top-level folder with the most files below it: the one the rename scenario moves. */
  readonly largestFolder: string;
  readonly largestFolderFiles: number;
  readonly ms: number;
}

/** mtimes between Nov 2023 and late 2025, with a fraction of a second, so they never look freshly written. */
const MTIME_BASE = 1_700_000_000;
const MTIME_SPAN = 60_000_000;

export function seededMtime(rand: () => number): number {
  return MTIME_BASE + Math.floor(rand() * MTIME_SPAN) + Math.floor(rand() * 1e6) / 1e6;
}

const TOPS = ['src', 'assets', 'docs', 'lib', 'vendor', 'test', 'tools', 'config'];
const TOP_WEIGHTS = [34, 20, 14, 10, 8, 6, 5, 3];
const EXTS = ['js', 'ts', 'json', 'md', 'css', 'html', 'png', 'txt', 'map', 'svg'];

function weighted(rand: () => number, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rand() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

interface Dir {
  readonly rel: string;
  readonly depth: number;
  readonly top: number;
  children: number;
  files: number;
  empty: boolean;
  readonly mode: number;
  readonly mtime: number;
}

/** A file name: mostly plain, a few with a space or a non-ASCII letter, as real trees have. */
function fileName(i: number, rand: () => number): string {
  const ext = EXTS[Math.floor(rand() * EXTS.length)] as string;
  if (i % 997 === 3) return `f${i} copy.${ext}`;
  if (i % 1999 === 5) return `café-${i}.${ext}`;
  return `f${i}.${ext}`;
}

function generateTree(root: string, shape: TreeShape, seed: string): Omit<Generated, 'ms'> {
  const rand = prng(`${seed}:tree`);
  const pool = new Keystream(`${seed}:pool`).next((1 << 20) + shape.maxSize);
  const scratch = Buffer.allocUnsafe(Math.max(shape.maxSize, 8));

  const dirs: Dir[] = [];
  const byTop: Dir[][] = TOPS.map(() => []);
  const tops = Math.min(TOPS.length, Math.max(1, shape.dirs));
  for (let t = 0; t < tops; t++) {
    const d: Dir = { rel: TOPS[t] as string, depth: 1, top: t, children: 0, files: 0, empty: false, mode: 0o755, mtime: seededMtime(rand) };
    dirs.push(d);
    (byTop[t] as Dir[]).push(d);
  }
  const weights = TOP_WEIGHTS.slice(0, tops);
  for (let i = tops; i < shape.dirs; i++) {
    const t = weighted(rand, weights);
    const candidates = byTop[t] as Dir[];
    let parent = candidates[Math.floor(rand() * candidates.length)] as Dir;
    if (parent.depth >= 6) parent = candidates[0] as Dir;
    parent.children++;
    const mode = rand() < 0.02 ? 0o700 : 0o755;
    const d: Dir = { rel: `${parent.rel}/d${i}`, depth: parent.depth + 1, top: t, children: 0, files: 0, empty: false, mode, mtime: seededMtime(rand) };
    dirs.push(d);
    candidates.push(d);
  }
  // About 3% of the leaf folders stay empty.
  const leaves = dirs.filter((d) => d.children === 0 && d.depth > 1);
  for (const d of pickSome(rand, leaves, Math.round(shape.dirs * 0.03))) d.empty = true;
  const fillable = dirs.filter((d) => !d.empty);

  for (const d of dirs) mkdirSync(join(root, d.rel), { mode: d.mode });

  let bytes = 0;
  const topFiles = TOPS.map(() => 0);
  const someFiles: string[] = [];
  for (let i = 0; i < shape.files; i++) {
    const dir = fillable[Math.floor(rand() * fillable.length)] as Dir;
    const rel = `${dir.rel}/${fileName(i, rand)}`;
    const size = rand() < 0.02 ? 0 : intIn(rand, 1, shape.maxSize);
    const offset = intIn(rand, 0, 1 << 20);
    const mode = rand() < 0.03 ? 0o755 : 0o644;
    const mtime = seededMtime(rand);
    // Each file starts with its own number, so no two non-empty files have the same bytes by accident.
    pool.copy(scratch, 0, offset, offset + size);
    if (size >= 4) scratch.writeUInt32LE(i, 0);
    const path = join(root, rel);
    const fd = openSync(path, 'wx', mode);
    try {
      if (size > 0) writeSync(fd, scratch, 0, size);
    } finally {
      closeSync(fd);
    }
    utimesSync(path, mtime, mtime);
    bytes += size;
    dir.files++;
    topFiles[dir.top] = (topFiles[dir.top] as number) + 1;
    if (someFiles.length < 64) someFiles.push(rel);
  }

  // A few symlinks: relative ones to files and folders, one absolute, one dangling.
  let symlinks = 0;
  for (let i = 0; i < shape.symlinks && fillable.length > 0; i++) {
    const dir = fillable[Math.floor(rand() * fillable.length)] as Dir;
    const up = '../'.repeat(dir.depth);
    let target: string;
    if (i === 0) target = 'does-not-exist';
    else if (i === 1) target = '/usr/share';
    else if (i % 3 === 0) target = `${up}${(dirs[Math.floor(rand() * dirs.length)] as Dir).rel}`;
    else target = `${up}${someFiles[Math.floor(rand() * someFiles.length)] ?? 'x'}`;
    const path = join(root, dir.rel, `link${i}`);
    symlinkSync(target, path);
    const mtime = seededMtime(rand);
    lutimesSync(path, mtime, mtime);
    symlinks++;
  }

  // Folder mtimes last, deepest first, so writing inside them does not move them again.
  for (const d of dirs.slice().sort((a, b) => b.depth - a.depth)) utimesSync(join(root, d.rel), d.mtime, d.mtime);
  const rootTime = seededMtime(rand);
  utimesSync(root, rootTime, rootTime);

  let best = 0;
  for (let t = 1; t < tops; t++) if ((topFiles[t] as number) > (topFiles[best] as number)) best = t;
  return { files: shape.files, dirs: shape.dirs, symlinks, bytes, largestFolder: TOPS[best] as string, largestFolderFiles: topFiles[best] as number };
}

const CHUNK = 4 << 20;

/** Writes `size` keystream bytes to `path`, chunk by chunk (contents differ per seed). */
export function writeRandomFile(path: string, size: number, seed: string, mode = 0o644): void {
  const ks = new Keystream(seed);
  const fd = openSync(path, 'w', mode);
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(CHUNK, size - done);
      writeSync(fd, ks.next(n), 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

function generateLarge(root: string, shape: LargeShape, seed: string): Omit<Generated, 'ms'> {
  const rand = prng(`${seed}:large`);
  const folders = ['video', 'images'];
  const counts = [0, 0];
  for (const f of folders) mkdirSync(join(root, f));
  for (let i = 0; i < shape.files; i++) {
    const k = i % folders.length;
    const path = join(root, folders[k] as string, `big-${i}.bin`);
    writeRandomFile(path, shape.size, `${seed}:big:${i}`);
    const mtime = seededMtime(rand);
    utimesSync(path, mtime, mtime);
    counts[k] = (counts[k] as number) + 1;
  }
  for (const f of folders) {
    const mtime = seededMtime(rand);
    utimesSync(join(root, f), mtime, mtime);
  }
  const rootTime = seededMtime(rand);
  utimesSync(root, rootTime, rootTime);
  return { files: shape.files, dirs: folders.length, symlinks: 0, bytes: shape.files * shape.size, largestFolder: folders[0] as string, largestFolderFiles: counts[0] as number };
}

/** Creates `root` (which must not exist) and fills it. */
export function generate(root: string, shape: Shape, seed: string): Generated {
  const t0 = performance.now();
  mkdirSync(root, { recursive: true });
  const g = shape.kind === 'tree' ? generateTree(root, shape, seed) : generateLarge(root, shape, seed);
  return { ...g, ms: performance.now() - t0 };
}
