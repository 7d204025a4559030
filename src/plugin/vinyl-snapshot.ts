/**
 * Received vinyl files -> a source Snapshot for the engine, so that vinyl stays out of it. Each file's bytes are
 * described by a ContentSource: the file on disk (`read: false`), its Buffer, or its stream spooled to a
 * temporary file. Folders the stream implies (parents of its files) become folder entries.
 */
import { readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { mtimeOf, parentOf, type ContentSource, type DirEntry, type Entry, type RelPath, type Snapshot } from '../engine/index.js';
import { ENCODING_HINT, hasReplacement, looksDecoded } from './encoding-check.js';
import type { Received } from './receive-file.js';
import type { SpoolDir } from './spool.js';
import type { VinylFile } from './vinyl-file.js';
import { modeOf, mtimeOfVinyl } from './vinyl-stat.js';

export interface VinylSnapshot {
  readonly snapshot: Snapshot;
  /** Some contents are buffers or streams, whose mtime says nothing about their bytes: compare by content. */
  readonly byContent: boolean;
  /** Per path: a warning that the contents look like a binary file decoded as utf8. */
  readonly warnings: ReadonlyMap<RelPath, string>;
  /** Files whose stream was read (spooled), with the spool file: their contents must be given back. */
  readonly spooled: ReadonlyMap<VinylFile, string>;
}

/** Two files of the stream that cannot both be mirrored (a file that is also another file's folder). */
export class StreamConflictError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const STATS_AT_ONCE = 16;

function problem(err: unknown): Entry {
  const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  const text = err instanceof Error ? err.message : String(err);
  return { kind: 'problem', code, message: text.split('\n')[0] ?? text };
}

interface Built {
  entry: Entry;
  content?: ContentSource;
  warning?: string;
  spooledAt?: string;
}

/** `read: false`: the bytes stay on disk. Resolve links so the engine's after-copy check sees the same file. */
async function fromDisk(file: VinylFile): Promise<Built> {
  try {
    const real = await realpath(file.path);
    const st = await stat(real, { bigint: true });
    const mode = Number(st.mode & 0o7777n);
    if (st.isFile()) {
      return {
        entry: { kind: 'file', size: Number(st.size), mtimeMs: mtimeOf(st), mode, ino: Number(st.ino) },
        content: { type: 'path', path: real },
      };
    }
    if (st.isDirectory()) return { entry: { kind: 'dir', mode, mtimeMs: mtimeOf(st), ino: 0 } };
    return { entry: { kind: 'special', type: st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'unknown' } };
  } catch (err) {
    return { entry: problem(err) };
  }
}

function decodedWarning(file: VinylFile): string {
  return `${file.relative} looks like a binary file that gulp.src decoded as utf8 (it holds U+FFFD and its size changed): ${ENCODING_HINT}`;
}

async function fromBuffer(file: VinylFile, data: Buffer, now: number): Promise<Built> {
  const st = file.stat;
  const suspicious = looksDecoded(hasReplacement(data), data.length, st?.size);
  const mtimeMs = await mtimeOfVinyl(file, now, true);
  return {
    entry: { kind: 'file', size: data.length, mtimeMs, mode: modeOf(st, FILE_MODE), ino: 0 },
    content: { type: 'buffer', data },
    ...(suspicious ? { warning: decodedWarning(file) } : {}),
  };
}

async function fromStream(file: VinylFile, spool: SpoolDir, now: number): Promise<Built> {
  let spooled;
  try {
    spooled = await spool.spool(file.contents as NodeJS.ReadableStream);
  } catch (err) {
    return { entry: problem(err) };
  }
  const st = file.stat;
  const path = spooled.path;
  const mtimeMs = await mtimeOfVinyl(file, now, true);
  return {
    entry: { kind: 'file', size: spooled.size, mtimeMs, mode: modeOf(st, FILE_MODE), ino: 0 },
    // The spooled copy is a file of our own: the engine reads it like any file on disk.
    content: { type: 'path', path },
    spooledAt: path,
    ...(looksDecoded(spooled.replacement, spooled.size, st?.size) ? { warning: decodedWarning(file) } : {}),
  };
}

async function buildOne(r: Received, spool: SpoolDir, now: number): Promise<Built> {
  const file = r.file;
  if (r.kind === 'dir') {
    return { entry: { kind: 'dir', mode: modeOf(file.stat, DIR_MODE), mtimeMs: await mtimeOfVinyl(file, now, true), ino: 0 } };
  }
  if (r.kind === 'symlink') {
    // gulp.src sets file.symlink only when it reads contents; with `read: false` the link is read here.
    let target = file.symlink;
    if (typeof target !== 'string' || target === '') {
      try {
        target = await readlink(file.path);
      } catch (err) {
        return { entry: problem(err) };
      }
    }
    return { entry: { kind: 'symlink', target, mtimeMs: await mtimeOfVinyl(file, now, false), ino: 0 } };
  }
  if (file.isBuffer()) return fromBuffer(file, file.contents as Buffer, now);
  if (file.isStream()) return fromStream(file, spool, now);
  return fromDisk(file);
}

/** The folder a file's base holds at `path`, if it is one, else a default folder (mode 755, mtime now). */
async function impliedDir(base: string, path: RelPath, now: number): Promise<DirEntry> {
  const st = await stat(join(base, path), { bigint: true }).catch(() => undefined);
  if (st?.isDirectory()) return { kind: 'dir', mode: Number(st.mode & 0o7777n), mtimeMs: mtimeOf(st), ino: 0 };
  return { kind: 'dir', mode: DIR_MODE, mtimeMs: now, ino: 0 };
}

/** Last file wins for a repeated path (as with gulp.dest); a file that is also a folder of another is an error. */
function latestByPath(received: readonly Received[]): Map<RelPath, Received> {
  const byPath = new Map<RelPath, Received>();
  for (const r of received) if (r.ignored === undefined) byPath.set(r.path, r);
  for (const [path, r] of byPath) {
    for (let p = parentOf(path); p !== ''; p = parentOf(p)) {
      const up = byPath.get(p);
      if (up && up.kind !== 'dir') {
        throw new StreamConflictError(`${p} is a ${up.kind} in the stream but also the folder of ${path}`, r.file.path);
      }
    }
  }
  return byPath;
}

export async function buildVinylSnapshot(received: readonly Received[], spool: SpoolDir, now = Date.now()): Promise<VinylSnapshot> {
  const byPath = latestByPath(received);
  const paths = [...byPath.keys()].sort();
  const limit = pLimit(STATS_AT_ONCE);
  const built = await Promise.all(paths.map((p) => limit(() => buildOne(byPath.get(p) as Received, spool, now))));

  const entries = new Map<RelPath, Entry>();
  const contents = new Map<RelPath, ContentSource>();
  const warnings = new Map<RelPath, string>();
  const spooled = new Map<VinylFile, string>();
  let byContent = false;
  paths.forEach((path, i) => {
    const b = built[i] as Built;
    entries.set(path, b.entry);
    if (b.content) {
      contents.set(path, b.content);
      if (b.content.type !== 'path' || b.spooledAt !== undefined) byContent = true;
    }
    if (b.warning) warnings.set(path, b.warning);
    if (b.spooledAt !== undefined) spooled.set((byPath.get(path) as Received).file, b.spooledAt);
  });

  const implied = new Map<RelPath, string>();
  for (const path of paths) {
    for (let p = parentOf(path); p !== '' && !entries.has(p) && !implied.has(p); p = parentOf(p)) {
      implied.set(p, (byPath.get(path) as Received).file.base);
    }
  }
  await Promise.all([...implied].map(([p, base]) => limit(async () => entries.set(p, await impliedDir(base, p, now)))));

  const first = received[0];
  const root = first ? first.file.base : process.cwd();
  return { snapshot: { root, entries, contents }, byContent, warnings, spooled };
}
