/**
 * One received vinyl file -> its source Entry and where its bytes come from (a ContentSource): the file on disk
 * (`read: false`), its Buffer, or its stream spooled to a temporary file. Contents that gulp's utf8 decoding may
 * have altered are checked against the file on disk (exact-bytes.ts); a symlink's text is read from disk.
 */
import { readlink, realpath, stat } from 'node:fs/promises';
import { normalize, sep } from 'node:path';
import { mtimeOf, type ContentSource, type Entry } from '../engine/index.js';
import { ENCODING_HINT, hasReplacement, looksDecoded } from './encoding-check.js';
import { mightBeDecoded, originOfBuffer, originOfSpooled, type Origin } from './exact-bytes.js';
import type { Received } from './receive-file.js';
import type { SpoolDir } from './spool.js';
import type { VinylFile } from './vinyl-file.js';
import { modeOf, mtimeOfVinyl } from './vinyl-stat.js';

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

export interface Built {
  readonly entry: Entry;
  readonly content?: ContentSource;
  /** The contents look like a binary file decoded as utf8, and are mirrored as they are. */
  readonly warning?: string;
  /** The spool file holding the stream's bytes as received (to be given back to the file passed on). */
  readonly spooledAt?: string;
}

export function problem(err: unknown): Entry {
  const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  const text = err instanceof Error ? err.message : String(err);
  return { kind: 'problem', code, message: text.split('\n')[0] ?? text };
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

function warningFor(file: VinylFile, origin: Origin, replacement: boolean, size: number): string | undefined {
  const lossy = origin.kind === 'changed' ? origin.lossy && replacement : looksDecoded(replacement, size, file.stat?.size);
  if (!lossy) return undefined;
  return origin.kind === 'changed'
    ? `${file.relative} was decoded as utf8 by gulp.src, which lost some of its bytes, then changed by a plugin; it is mirrored as the plugin left it: ${ENCODING_HINT}`
    : `${file.relative} looks like a binary file that gulp.src decoded as utf8 (it holds U+FFFD and its size changed): ${ENCODING_HINT}`;
}

async function fromBuffer(file: VinylFile, data: Buffer, now: number): Promise<Built> {
  const st = file.stat;
  const replacement = hasReplacement(data);
  let bytes = data;
  let origin: Origin = { kind: 'file', raw: true };
  if (mightBeDecoded(data.length, replacement, st?.size)) {
    const found = await originOfBuffer(file.path, data);
    origin = found;
    if (found.bytes) bytes = found.bytes;
  }
  const warning = origin.kind === 'file' ? undefined : warningFor(file, origin, replacement, data.length);
  return {
    entry: { kind: 'file', size: bytes.length, mtimeMs: await mtimeOfVinyl(file, now, true), mode: modeOf(st, FILE_MODE), ino: 0 },
    content: { type: 'buffer', data: bytes },
    ...(warning ? { warning } : {}),
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
  const mtimeMs = await mtimeOfVinyl(file, now, true);
  const mode = modeOf(st, FILE_MODE);
  if (mightBeDecoded(spooled.size, spooled.replacement, st?.size)) {
    const origin = await originOfSpooled(file.path, spooled.sha1);
    if (origin.kind === 'file' && origin.raw) return spooledEntry(spooled.path, spooled.size, mtimeMs, mode);
    if (origin.kind === 'file') {
      // Copied from the file itself; realpath so the engine's after-copy check sees that same file.
      const real = await realpath(file.path).catch(() => file.path);
      const disk = await stat(real, { bigint: true }).catch(() => undefined);
      if (disk?.isFile()) {
        return {
          entry: { kind: 'file', size: Number(disk.size), mtimeMs, mode, ino: 0 },
          content: { type: 'path', path: real },
          spooledAt: spooled.path,
        };
      }
    }
    const warning = warningFor(file, origin.kind === 'file' ? { kind: 'unknown' } : origin, spooled.replacement, spooled.size);
    if (warning) return { ...spooledEntry(spooled.path, spooled.size, mtimeMs, mode), warning };
  }
  return spooledEntry(spooled.path, spooled.size, mtimeMs, mode);
}

function spooledEntry(path: string, size: number, mtimeMs: number, mode: number): Built {
  return {
    entry: { kind: 'file', size, mtimeMs, mode, ino: 0 },
    // The spooled copy is a file of our own: the engine reads it like any file on disk.
    content: { type: 'path', path },
    spooledAt: path,
  };
}

/** vinyl stores a symlink's target normalised, as path.normalize without a trailing separator. */
function asVinylStoresIt(target: string): string {
  const n = normalize(target);
  return n.length > 1 && n.endsWith(sep) ? n.slice(0, -1) : n;
}

/**
 * The link's text as on disk (`./docs/../index.html` stays that, where vinyl keeps `index.html`), unless a plugin
 * gave `file.symlink` another target; gulp.src sets file.symlink only when it reads contents.
 */
async function symlinkTarget(file: VinylFile): Promise<string | Entry> {
  const given = typeof file.symlink === 'string' && file.symlink !== '' ? file.symlink : undefined;
  try {
    const onDisk = await readlink(file.path);
    if (given === undefined || asVinylStoresIt(onDisk) === given) return onDisk;
  } catch (err) {
    if (given === undefined) return problem(err);
  }
  return given;
}

export async function buildEntry(r: Received, spool: SpoolDir, now: number): Promise<Built> {
  const file = r.file;
  if (r.kind === 'dir') {
    return { entry: { kind: 'dir', mode: modeOf(file.stat, DIR_MODE), mtimeMs: await mtimeOfVinyl(file, now, true), ino: 0 } };
  }
  if (r.kind === 'symlink') {
    const target = await symlinkTarget(file);
    if (typeof target !== 'string') return { entry: target };
    return { entry: { kind: 'symlink', target, mtimeMs: await mtimeOfVinyl(file, now, false), ino: 0 } };
  }
  if (file.isBuffer()) return fromBuffer(file, file.contents as Buffer, now);
  if (file.isStream()) return fromStream(file, spool, now);
  return fromDisk(file);
}
