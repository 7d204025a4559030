/**
 * Received vinyl files -> a source Snapshot for the engine, so that vinyl stays out of it (file-entry.ts builds each
 * entry). Folders the stream implies (parents of its files) become folder entries; files the stream reached
 * through a symlink it also carries are left to the link, as `rsync -a` does.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { mtimeOf, parentOf, type ContentSource, type DirEntry, type Entry, type RelPath, type Snapshot } from '../engine/index.js';
import { buildEntry, type Built } from './file-entry.js';
import type { Received } from './receive-file.js';
import type { SpoolDir } from './spool.js';
import type { VinylFile } from './vinyl-file.js';

export interface VinylSnapshot {
  readonly snapshot: Snapshot;
  /** Some contents are buffers or streams, whose mtime says nothing about their bytes: compare by content. */
  readonly byContent: boolean;
  /** Per path: a warning that the contents look like a binary file decoded as utf8. */
  readonly warnings: ReadonlyMap<RelPath, string>;
  /** Files whose stream was read (spooled), with the spool file: their contents must be given back. */
  readonly spooled: ReadonlyMap<VinylFile, string>;
  /** Paths not mirrored because the stream reached them through a symlink it carries (the link is mirrored). */
  readonly underLinks: ReadonlySet<RelPath>;
}

/** Two files of the stream that cannot both be mirrored (a file that is also another file's folder). */
export class StreamConflictError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

const DIR_MODE = 0o755;
const STATS_AT_ONCE = 16;

/** The folder a file's base holds at `path`, if it is one, else a default folder (mode 755, mtime now). */
async function impliedDir(base: string, path: RelPath, now: number): Promise<DirEntry> {
  const st = await stat(join(base, path), { bigint: true }).catch(() => undefined);
  if (st?.isDirectory()) return { kind: 'dir', mode: Number(st.mode & 0o7777n), mtimeMs: mtimeOf(st), ino: 0 };
  return { kind: 'dir', mode: DIR_MODE, mtimeMs: now, ino: 0 };
}

/**
 * Last file wins for a repeated path (as with gulp.dest). Below a symlink of the stream, files are what gulp found
 * by walking through the link (a link to a folder): the link stands for them. Below a file, they are an error.
 */
function latestByPath(received: readonly Received[]): { byPath: Map<RelPath, Received>; underLinks: Set<RelPath> } {
  const byPath = new Map<RelPath, Received>();
  for (const r of received) if (r.ignored === undefined) byPath.set(r.path, r);
  const underLinks = new Set<RelPath>();
  for (const [path, r] of byPath) {
    for (let p = parentOf(path); p !== ''; p = parentOf(p)) {
      const up = byPath.get(p);
      if (up?.kind === 'symlink') underLinks.add(path);
      else if (up && up.kind !== 'dir') {
        throw new StreamConflictError(`${p} is a ${up.kind} in the stream but also the folder of ${path}`, r.file.path);
      }
    }
  }
  for (const path of underLinks) byPath.delete(path);
  return { byPath, underLinks };
}

export async function buildVinylSnapshot(received: readonly Received[], spool: SpoolDir, now = Date.now()): Promise<VinylSnapshot> {
  const { byPath, underLinks } = latestByPath(received);
  const paths = [...byPath.keys()].sort();
  const limit = pLimit(STATS_AT_ONCE);
  const built = await Promise.all(paths.map((p) => limit(() => buildEntry(byPath.get(p) as Received, spool, now))));

  const entries = new Map<RelPath, Entry>();
  const contents = new Map<RelPath, ContentSource>();
  const warnings = new Map<RelPath, string>();
  const spooled = new Map<VinylFile, string>();
  let byContent = false;
  paths.forEach((path, i) => {
    const b = built[i] as Built;
    const file = (byPath.get(path) as Received).file;
    entries.set(path, b.entry);
    if (b.content) {
      contents.set(path, b.content);
      if (b.content.type !== 'path' || b.spooledAt !== undefined) byContent = true;
    }
    if (b.warning) warnings.set(path, b.warning);
    if (b.spooledAt !== undefined) spooled.set(file, b.spooledAt);
  });

  const implied = new Map<RelPath, string>();
  for (const path of paths) {
    for (let p = parentOf(path); p !== '' && !entries.has(p) && !implied.has(p); p = parentOf(p)) {
      implied.set(p, (byPath.get(path) as Received).file.base);
    }
  }
  await Promise.all([...implied].map(([p, base]) => limit(async () => entries.set(p, await impliedDir(base, p, now)))));

  const root = resolve((received[0] as Received).file.base);
  return { snapshot: { root, entries, contents }, byContent, warnings, spooled, underLinks };
}
