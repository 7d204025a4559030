/**
 * File writes into one remote folder: each file is uploaded to a fresh temporary name in that folder (O_EXCL), given
 * its mode and mtime on the open handle, closed, and only then renamed into place with posix-rename@openssh.com (a
 * plain SFTP rename onto an existing file fails on OpenSSH). A kill or a dropped connection at any point leaves each
 * file as the whole old or the whole new version; the temporaries are removed by the next run.
 *
 * Speed: a small file is OPEN, then WRITE + FSETSTAT + CLOSE sent back to back, then the folder's LSTAT (with the
 * sub-second stamp and, for an update, the old file's LSTAT, all at once), then RENAME: four round trips after the
 * batch's first folder check, with many files in flight (`filesInFlight`). A big file streams 255 KiB writes, 16 in
 * flight.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { joinRel } from '../../paths.js';
import type { FileEntry, RelPath } from '../../types.js';
import type { OpenedFile, SourceTree, StepResult, WriteItem } from '../tree.js';
import { backUpRemote } from './backup-remote.js';
import { type RemoteContext, remoteTempName, stillExpected } from './context.js';
import { remotePath } from './entries.js';
import { openContent } from './local-content.js';
import { closeHandle, fsetstat, lstatOrGone, openNew, posixRename, type RemoteStats, renameNoReplace, unlink, write } from './remote-fs.js';
import { setFineTimes } from './remote-times.js';
import { CHANGED, DONE, failed, mtimeFailure, parentRefusal, RECENT_MS, RECENT_WAIT_MS, TornCopyError, TRIES, VANISHED } from './steps.js';

/** Writes in flight for one big file. */
const WRITES_IN_FLIGHT = 16;

interface Staged {
  readonly tmp: string;
  /** The source as it was read (what the copy is stamped from). */
  readonly entry: FileEntry;
  /**
   * The sub-second mtime being set on the temporary (exec servers; resolved at once elsewhere): sent as the upload
   * ends, awaited with the folder's check before the rename, so that its round trip overlaps that one.
   */
  readonly stamped: Promise<boolean>;
}

/**
 * Read buffers, reused: ssh2 copies a WRITE's data into its packet when write() is called, so a buffer is free again
 * as soon as a file's last write is sent. A fresh buffer per file was most of a first copy's garbage.
 */
const SMALL = 16 << 10;
const spare: Buffer[][] = [[], []];
const KEEP = 64;

function takeBuffer(size: number, chunk: number): Buffer {
  const small = size <= SMALL && chunk >= SMALL;
  const want = small ? SMALL : chunk;
  const list = spare[small ? 0 : 1] as Buffer[];
  for (let b = list.pop(); b !== undefined; b = list.pop()) if (b.length === want) return b;
  return Buffer.allocUnsafe(want);
}

function giveBack(buf: Buffer): void {
  const list = spare[buf.length === SMALL ? 0 : 1] as Buffer[];
  if (list.length < KEEP) list.push(buf);
}

/** Reads exactly `length` bytes at `position` into `buf` at `offset`, unless the file ends first; returns how many were read. */
export async function readFully(file: OpenedFile, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let n = 0;
  while (n < length) {
    const got = await file.read(buf, offset + n, length - n, position + n);
    if (got === 0) break;
    n += got;
  }
  return n;
}

/** A temporary's OPEN, sent before the local file is opened so that the two overlap (its channel goes with it). */
interface PreOpened {
  readonly ch: ReturnType<RemoteContext['session']['channel']>;
  readonly handle: Promise<Buffer>;
}

function preOpen(ctx: RemoteContext, tmp: string): PreOpened {
  const ch = ctx.session.channel();
  const handle = openNew(ctx.session, tmp, 0o600, ch);
  handle.catch(() => undefined);
  return { ch, handle };
}

/** A pre-opened temporary that is not used after all: closed and removed. */
async function discard(ctx: RemoteContext, tmp: string, pre: PreOpened): Promise<void> {
  const handle = await pre.handle.catch(() => undefined);
  if (handle === undefined) return;
  await closeHandle(ctx.session, tmp, handle, pre.ch).catch(() => undefined);
  await unlink(ctx.session, tmp).catch(() => undefined);
}

/**
 * Uploads `file` to `tmp` (OPEN already sent): the writes, FSETSTAT (mode, mtime) and CLOSE, pipelined. Resolves with
 * whether the source was unchanged through the copy, checked while the last answers are on their way.
 */
async function send(ctx: RemoteContext, tmp: string, pre: PreOpened, file: OpenedFile, mode: number, mtimeMs: number): Promise<boolean> {
  const s = ctx.session;
  const { ch } = pre;
  const { size } = file.entry;
  const handle = await pre.handle;
  const pending: Promise<void>[] = [];
  const chunk = s.limits.write;
  // ssh2 copies the data into its packet when write() is called, so one buffer serves every chunk of a file.
  const buf = size > 0 ? takeBuffer(size, chunk) : undefined;
  try {
    for (let position = 0; position < size && buf; ) {
      const n = await readFully(file, buf, 0, Math.min(chunk, size - position), position);
      if (n === 0) break;
      pending.push(write(s, tmp, handle, buf, n, position, ch));
      position += n;
      if (pending.length >= WRITES_IN_FLIGHT) await pending.shift();
    }
    pending.push(fsetstat(s, tmp, handle, { mode, atime: Math.floor(Date.now() / 1000), mtime: Math.floor(mtimeMs / 1000) }, ch));
  } catch (err) {
    pending.push(closeHandle(s, tmp, handle, ch));
    await Promise.allSettled(pending);
    throw err;
  } finally {
    if (buf) giveBack(buf);
  }
  pending.push(closeHandle(s, tmp, handle, ch));
  // Every byte has been read: whether the source changed meanwhile is looked at while the answers come back.
  const [results, same] = await Promise.all([Promise.allSettled(pending), file.unchanged().catch(() => false)]);
  const bad = results.find((r) => r.status === 'rejected');
  if (bad) throw (bad as PromiseRejectedResult).reason;
  return same;
}

/**
 * SFTP set the whole second; the stamper sets the microsecond, still under the temporary name. Sent as each upload
 * ends, so it overlaps the other uploads and the folder's check instead of holding the batch for a round trip.
 */
function stamp(ctx: RemoteContext, tmp: string, mtimeMs: number): Promise<boolean> {
  // The upload may have started before the probe answered (a first copy does not wait for the login shell). A time
  // before 1970 goes through touch, which the probe's second script looks at.
  return (mtimeMs < 0 ? ctx.fullyProbed() : ctx.probed).then(() => {
    if (!ctx.exec.caps.fineTimes) return true;
    return setFineTimes(ctx.exec, [{ path: tmp, mtimeMs, link: false }]).then(([ok]) => ok === true, () => false);
  });
}

function sameMicros(a: number, b: number): boolean {
  return Math.round(a * 1000) === Math.round(b * 1000);
}

/**
 * How a file's bytes get to a temporary name: over SFTP (OPEN, WRITEs, FSETSTAT, CLOSE; placed afterwards), or as
 * one record to the connection's perl helper, which also puts it in place (write-helper.ts).
 */
export interface Upload<T> {
  /** Sent before the local file is opened, so that the two overlap (SFTP's OPEN). */
  prepare(tmp: string): unknown;
  /** A prepared temporary that is not used after all. */
  discard(tmp: string, prepared: unknown): Promise<void>;
  /** Copies `file`; undefined when the source changed while it was read (the temporary is gone or to be removed). */
  send(tmp: string, prepared: unknown, file: OpenedFile, mode: number, mtimeMs: number): Promise<T | undefined>;
  /** Removes a used temporary that is not placed (after a failure, or a source that changed). */
  abandon(tmp: string): Promise<void>;
}

function sftpUpload(ctx: RemoteContext): Upload<Staged> {
  return {
    prepare: (tmp) => preOpen(ctx, tmp),
    discard: (tmp, pre) => discard(ctx, tmp, pre as PreOpened),
    send: async (tmp, pre, file, mode, mtimeMs) => (await send(ctx, tmp, pre as PreOpened, file, mode, mtimeMs)
      ? { tmp, entry: { ...file.entry, mtimeMs }, stamped: stamp(ctx, tmp, mtimeMs) }
      : undefined),
    abandon: async (tmp) => {
      if (!ctx.session.failed) await unlink(ctx.session, tmp).catch(() => undefined);
    },
  };
}

/**
 * Copies one item to a temporary name. A file of the source tree must first be as the scan saw it (size, mtime; the
 * same inode where the scan had one), then as the last try left it: one caught mid-rewrite is looked at again, never
 * copied with mixed bytes (as the local trees do). Other contents (a vinyl file) are stamped from the entry they stand for.
 */
export async function stage<T>(way: Upload<T>, dirAbs: string, item: WriteItem, from: SourceTree): Promise<T | StepResult> {
  const tmp = remotePath(dirAbs, remoteTempName());
  const fromTree = item.content.type === 'tree';
  let last: string | undefined;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    const pre = way.prepare(tmp);
    let used = false;
    const file = await openContent(item.content, item.source, from).catch(async (err: unknown) => {
      await way.discard(tmp, pre);
      throw err;
    });
    if (file === 'vanished') {
      await way.discard(tmp, pre);
      return VANISHED;
    }
    let staged: T | undefined;
    let recent = false;
    try {
      // Changed within the last clock ticks: it may still be being written (file times move once a tick, so a write
      // in the same tick as our look could go unseen). Looked at again once it is older; not a try.
      recent = waited < RECENT_WAIT_MS && Math.abs(Date.now() - file.changedMs) < RECENT_MS;
      if (!recent) {
        if (fromTree && item.source.ino !== 0 && file.entry.ino !== item.source.ino) {
          await way.discard(tmp, pre);
          return VANISHED;
        }
        const settled = !fromTree || (last === undefined
          ? file.entry.size === item.source.size && sameMicros(file.entry.mtimeMs, item.source.mtimeMs)
          : file.version === last);
        last = file.version;
        if (settled) {
          const mode = item.mode ?? (fromTree ? file.entry.mode : item.source.mode);
          const mtimeMs = fromTree ? file.entry.mtimeMs : item.source.mtimeMs;
          used = true;
          staged = await way.send(tmp, pre, file, mode, mtimeMs);
          if (staged === undefined) last = await file.versionNow();
        }
      }
    } catch (err) {
      if (!used) await way.discard(tmp, pre);
      else await way.abandon(tmp);
      throw err;
    } finally {
      await file.close();
    }
    // Not uploaded this time (changed too recently, or not as the scan saw it): the temporary goes until the next try.
    if (!used) await way.discard(tmp, pre);
    if (recent) {
      await sleep(RECENT_MS / 2);
      waited += RECENT_MS / 2;
      attempt--;
      continue;
    }
    if (staged !== undefined) return staged;
    await way.abandon(tmp);
    if (attempt >= TRIES) throw new TornCopyError(`source changed while being copied (${TRIES} tries); will retry next run`);
  }
}

/**
 * Puts a finished temporary file in place; an update replaces only the file the scan saw (backed up first). `before`
 * is the LSTAT of the file to replace, sent with the folder's check.
 */
async function place(ctx: RemoteContext, parent: RelPath, item: WriteItem, staged: Staged, before: Promise<RemoteStats | undefined> | undefined): Promise<StepResult> {
  const s = ctx.session;
  const finalAbs = remotePath(ctx.root, joinRel(parent, item.name));
  if (!(await staged.stamped)) throw mtimeFailure(s);
  if (item.replace) {
    const state = stillExpected(await (before ?? lstatOrGone(s, finalAbs)), item.replace);
    if (state === 'changed') return CHANGED;
    if (state === 'ok') await backUpRemote(ctx, joinRel(parent, item.name));
  }
  if (s.extensions.posixRename) await posixRename(s, staged.tmp, finalAbs);
  else await renameNoReplace(s, staged.tmp, finalAbs);
  return { status: 'done', bytes: staged.entry.size };
}

export async function writeFiles(ctx: RemoteContext, parent: RelPath, items: readonly WriteItem[], from: SourceTree): Promise<StepResult[]> {
  const s = ctx.session;
  const refused = await parentRefusal(ctx.guard, parent, items);
  if (refused) return refused;
  const dirAbs = remotePath(ctx.root, parent);
  const way = sftpUpload(ctx);
  const staged = await Promise.all(items.map((item) => ctx.files(() => stage(way, dirAbs, item, from).catch((err: unknown) => failed(err)))));
  const ready = staged.flatMap((r, i) => ('tmp' in r ? [i] : []));
  const results: StepResult[] = staged.map((r) => ('tmp' in r ? DONE : r));
  // Temporaries of files that are not placed are removed before the batch returns: none is left behind.
  const removing: Promise<void>[] = [];
  const drop = (i: number, result: StepResult): void => {
    results[i] = result;
    removing.push(unlink(s, (staged[i] as Staged).tmp).catch(() => undefined));
  };
  if (ready.length === 0) return results;
  try {
    return await placeAll(ctx, parent, items, staged, ready, results, drop);
  } finally {
    await Promise.all(removing);
  }
}

async function placeAll(
  ctx: RemoteContext, parent: RelPath, items: readonly WriteItem[], staged: readonly (Staged | StepResult)[], ready: readonly number[],
  results: StepResult[], drop: (i: number, result: StepResult) => void,
): Promise<StepResult[]> {
  // The folder again, now that the uploads are done: it may have been swapped for a link while they ran. The files
  // to replace are looked at in the same round trip (reads only; nothing is renamed before the check has passed).
  const befores = new Map<number, Promise<RemoteStats | undefined>>();
  for (const i of ready) {
    const item = items[i] as WriteItem;
    if (!item.replace) continue;
    const looking = lstatOrGone(ctx.session, remotePath(ctx.root, joinRel(parent, item.name)));
    looking.catch(() => undefined);
    befores.set(i, looking);
  }
  try {
    await ctx.guard.check(parent);
  } catch (err) {
    for (const i of ready) drop(i, failed(err));
    return results;
  }
  await Promise.all(ready.map(async (i) => {
    try {
      results[i] = await place(ctx, parent, items[i] as WriteItem, staged[i] as Staged, befores.get(i));
      if (results[i]?.status !== 'done') drop(i, results[i] as StepResult);
    } catch (err) {
      drop(i, failed(err));
    }
  }));
  return results;
}
