/**
 * File writes through the connection's perl helper (stamper.ts), where it runs: one record per file on its channel
 * (folder, temporary and final names, mode, mtime, size, what the file to replace must still be; then the bytes) in
 * place of SFTP's OPEN, WRITE, FSETSTAT, CLOSE, the folder's LSTAT and RENAME, each a packet each way and four round
 * trips. perl enters the folder one step at a time (lstat, chdir, then stat(".") must be what lstat saw, so a folder
 * swapped for a link is refused, not followed), writes a fresh temporary (O_EXCL | O_NOFOLLOW), sets mode and the
 * microsecond mtime on its handle, then renames it into place: a new file only where lstat finds nothing just
 * before, an update only over the file the scan saw. A kill or a dropped connection leaves each file old or new, as
 * over SFTP; temporaries left behind are removed by the next run. New folders (M) and the modes and mtimes of
 * folders and files (S, on a handle opened O_NOFOLLOW) go the same way.
 *
 * Small files of the source are read in batches where the source tree can (readWhole, the native addon), straight
 * into their records; past 16 MiB of writes to a far server a second helper on its own channel takes folders too
 * (sftp-tree.ts).
 *
 * Not taken: a replace with a backup folder (backup-remote.ts moves the old file over SFTP), a replace of a folder,
 * and a time before 1970 (perl's Time::HiRes refuses those).
 */
import { posix } from 'node:path';
import type { RelPath } from '../../types.js';
import { joinRel } from '../../paths.js';
import { LOCK_NAME } from '../../reserved.js';
import type { AttrItem, SourceTree, StepResult, WriteItem } from '../tree.js';
import { remoteTempName } from './context.js';
import type { RemoteContext } from './context.js';
import { remotePath } from './entries.js';
import type { RemoteShell } from './remote-shell.js';
import { shQuote } from './shell.js';
import { afterReady, type Stamper, STAMPER_COMMAND, stampTime } from './stamper.js';
import { CHANGED, DONE, failed, HelperEndedError, RECENT_MS, UnsafeParentError, VANISHED } from './steps.js';
import { readFully, stage, type Upload } from './write-files.js';

/** Files up to this size are read whole before anything is sent (one write, nothing sent for a changed source). */
const WHOLE = 1 << 20;
const CHUNK = 256 << 10;

/** Whether `item` can go through the helper. */
export function helperTakes(ctx: RemoteContext, item: WriteItem): boolean {
  if (item.source.mtimeMs < 0) return false;
  if (!item.replace) return true;
  return ctx.backup === undefined && (item.replace.kind === 'file' || item.replace.kind === 'symlink');
}

/** What perl checks the file to replace against: kind, size, the mtime's second (as stillExpected over SFTP). */
function expectation(item: WriteItem): string {
  const r = item.replace;
  if (!r) return '';
  return `${r.kind === 'file' ? 'f' : 'l'} ${r.size ?? '-'} ${r.mtimeMs === undefined ? '-' : Math.floor(r.mtimeMs / 1000)}`;
}

/** A W record's head: the folder, the temporary's and the final name, mode, mtime, size, what to replace. */
function headOf(ctx: RemoteContext, parent: RelPath, tmpName: string, item: WriteItem, mode: number, mtimeMs: number, size: number): string {
  return `W\0${ctx.root}\0${parent}\0${tmpName}\0${item.name}\0${(mode & 0o7777).toString(8)}\0${stampTime(mtimeMs)}\0${size}\0${expectation(item)}\0`;
}

function parentNamed(parent: RelPath, steps: number): string {
  return parent.split('/').slice(0, steps).join('/');
}

/** A StepResult from perl's answer; undefined for A (abandoned: the source changed while it was read). */
function resultOf(ctx: RemoteContext, parent: RelPath, answer: string, size: number): StepResult | undefined {
  if (answer === '1') return { status: 'done', bytes: size };
  if (answer === 'C') return CHANGED;
  if (answer === 'A') return undefined;
  if (answer.startsWith('P')) {
    const steps = Number(answer.slice(1, -1));
    const what = { l: 'is a symlink', f: 'is not a folder', s: 'was swapped while being entered' }[answer.slice(-1)] ?? 'is not a folder';
    const where = steps === 0 ? `the destination folder ${what}` : `destination parent ${JSON.stringify(parentNamed(parent, steps))} ${what}`;
    return failed(new UnsafeParentError(`${where}; refusing to write through it`));
  }
  if (answer.startsWith('E')) {
    const code = answer.slice(1);
    return failed(Object.assign(new Error(`${code} on the server`), { code }));
  }
  return failed(ctx.session.failed ?? new HelperEndedError('the server helper ended'));
}

/** A record sent whole (its file read first) cannot be abandoned: an A for one is the helper's failure. */
function abandonedWhole(): StepResult {
  return failed(new Error('the server helper abandoned a whole file'));
}

/** The result of a whole record's answer. */
function wholeResult(ctx: RemoteContext, parent: RelPath, answer: string, size: number): StepResult {
  return resultOf(ctx, parent, answer, size) ?? abandonedWhole();
}

/** An answer on its way: kept in an object so that stage() does not wait for it (the slot goes to the next file). */
interface Sent {
  readonly result: Promise<StepResult | undefined>;
}

function helperUpload(ctx: RemoteContext, helper: Stamper, parent: RelPath, item: WriteItem): Upload<Sent> {
  const none = async (): Promise<void> => undefined;
  return {
    prepare: () => undefined,
    discard: none,
    // perl removes its own temporaries; one left by a dropped connection goes with the next run.
    abandon: none,
    async send(tmp, _prepared, file, mode, mtimeMs) {
      const size = file.entry.size;
      const head = Buffer.from(headOf(ctx, parent, posix.basename(tmp), item, mode, mtimeMs, size));
      if (size <= WHOLE) {
        const letGo = await helper.room(head.length + size);
        try {
          const record = Buffer.allocUnsafe(head.length + size + 1);
          head.copy(record);
          if (await readFully(file, record, head.length, size, 0) !== size || !(await file.unchanged())) {
            letGo();
            return undefined;
          }
          record[record.length - 1] = 0x4b;
          const result = helper.writeWhole(record).then((a) => resultOf(ctx, parent, a, size));
          result.then(letGo, letGo);
          return { result };
        } catch (err) {
          letGo();
          throw err;
        }
      }
      // A big file streams; whether it changed is known only at its end, so its answer is waited for here.
      const answer = await helper.write(head, size, async (send) => {
        for (let position = 0; position < size;) {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - position));
          const n = await readFully(file, buf, 0, buf.length, position);
          if (n === 0) return false;
          await send(n === buf.length ? buf : buf.subarray(0, n));
          position += n;
        }
        return file.unchanged();
      });
      const result = resultOf(ctx, parent, answer, size);
      return result === undefined ? undefined : { result: Promise.resolve(result) };
    },
  };
}

/**
 * Small files of the source read in batches, one trip each, where the source tree can (readWhole: the native addon),
 * straight into their records: no trip per open, read, fstat and close, and no promise per file. A folder's batches
 * go in groups whose bytes are taken from the helper's read-ahead budget at once (a group never holds part of it
 * while waiting for the rest), read ahead of the folder's turn, then sent in it. A file the batch could not read as
 * the scan saw it goes the one-file way (stage), which waits, retries and reports.
 */
const BATCH_FILE_MAX = 64 << 10;
const BATCH_BYTES = 256 << 10;
const BATCH_FILES = 128;
const GROUP_BYTES = 2 << 20;

interface Batch {
  /** Indices in the folder's items. */
  readonly at: number[];
  /** The records, one after another: head, bytes, K. */
  readonly buf: Buffer;
  /** Lets buf go (once its records are answered, or were not sent). */
  readonly release: () => void;
  /** Where each record starts in buf, and where the last ends. */
  readonly starts: number[];
  /** Where each file's bytes go (after its head). */
  readonly offsets: number[];
  /** Per item: its bytes were read as the scan saw them (readWhole). */
  ok: boolean[];
}

function batchable(parent: RelPath, item: WriteItem, from: SourceTree): boolean {
  const c = item.content;
  return from.readWhole !== undefined && c.type === 'tree' && c.path === joinRel(parent, item.name) && item.source.size <= BATCH_FILE_MAX;
}

/** Lays out the records of `at`: heads written, each file's bytes to come after its head. */
function layOut(ctx: RemoteContext, parent: RelPath, items: readonly WriteItem[], at: number[]): Batch {
  const heads = at.map((i) => {
    const item = items[i] as WriteItem;
    return headOf(ctx, parent, remoteTempName(), item, item.mode ?? item.source.mode, item.source.mtimeMs, item.source.size);
  });
  let total = 0;
  for (const [k, i] of at.entries()) total += Buffer.byteLength(heads[k] as string) + (items[i] as WriteItem).source.size + 1;
  const { buf, release } = ctx.slabs.take(total);
  const starts: number[] = [];
  const offsets: number[] = [];
  let o = 0;
  for (const [k, i] of at.entries()) {
    starts.push(o);
    o += buf.write(heads[k] as string, o, 'utf8');
    offsets.push(o);
    o += (items[i] as WriteItem).source.size;
    buf[o++] = 0x4b;
  }
  starts.push(o);
  return { at, buf, release, starts, offsets, ok: [] };
}

/** The folder's batchable items in groups of batches. */
function groupsOf(ctx: RemoteContext, parent: RelPath, items: readonly WriteItem[], fast: readonly number[]): Batch[][] {
  const groups: Batch[][] = [];
  let group: Batch[] = [];
  let groupBytes = 0;
  let at: number[] = [];
  let bytes = 0;
  const close = (): void => {
    if (at.length === 0) return;
    const b = layOut(ctx, parent, items, at);
    group.push(b);
    groupBytes += b.buf.length;
    at = [];
    bytes = 0;
    if (groupBytes >= GROUP_BYTES) {
      groups.push(group);
      group = [];
      groupBytes = 0;
    }
  };
  for (const i of fast) {
    const size = (items[i] as WriteItem).source.size;
    if (at.length > 0 && (bytes + size > BATCH_BYTES || at.length >= BATCH_FILES)) close();
    at.push(i);
    bytes += size + 200;
  }
  close();
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Sends a read batch's good records (contiguous runs of them); resolves with their answers in order. */
function sendBatch(helper: Stamper, b: Batch): Promise<string[]> {
  const segments: Buffer[] = [];
  let from = -1;
  let count = 0;
  b.at.forEach((_, k) => {
    if (b.ok[k]) {
      if (from < 0) from = b.starts[k] as number;
      count++;
    } else if (from >= 0) {
      segments.push(b.buf.subarray(from, b.starts[k]));
      from = -1;
    }
  });
  if (from >= 0) segments.push(b.buf.subarray(from, b.starts[b.at.length]));
  return count > 0 ? helper.writeRecords(segments, count) : Promise.resolve([]);
}

/** Writes `items` (all taken by helperTakes) into `parent` through the helper. */
export async function writeThroughHelper(ctx: RemoteContext, helper: Stamper, parent: RelPath, items: readonly WriteItem[], from: SourceTree): Promise<StepResult[]> {
  const results: StepResult[] = new Array<StepResult>(items.length);
  const fast = items.flatMap((item, i) => (batchable(parent, item, from) ? [i] : []));
  const slow = new Set(items.keys());
  for (const i of fast) slow.delete(i);
  const read = from.readWhole?.bind(from);
  const groups = read ? groupsOf(ctx, parent, items, fast) : [];
  const turns: Promise<void>[] = [];
  for (const group of groups) {
    const letGo = await helper.room(group.reduce((n, b) => n + b.buf.length, 0), true);
    turns.push((async () => {
      try {
        await Promise.all(group.map(async (b) => {
          const files = b.at.map((i, k) => ({ name: (items[i] as WriteItem).name, source: (items[i] as WriteItem).source, offset: b.offsets[k] as number }));
          b.ok = await (read as NonNullable<SourceTree['readWhole']>)(parent, files, b.buf, RECENT_MS).catch(() => b.at.map(() => false));
          for (const good of b.ok) if (good) ctx.counts.batched++;
        }));
        const answered = await helper.inTurn(async () => group.map((b) => sendBatch(helper, b)));
        await Promise.all(group.map(async (b, n) => {
          const good = b.at.filter((_, k) => b.ok[k]);
          const answers = await (answered[n] as Promise<string[]>).catch((err: unknown) => good.map(() => err));
          good.forEach((i, k) => {
            const a = answers[k];
            results[i] = typeof a === 'string' ? wholeResult(ctx, parent, a, (items[i] as WriteItem).source.size) : failed(a);
          });
          b.at.forEach((i, k) => {
            if (!b.ok[k]) slow.add(i);
          });
        }));
      } finally {
        for (const b of group) b.release();
        letGo();
      }
    })());
  }
  await Promise.all(turns);
  if (slow.size > 0) {
    const dirAbs = remotePath(ctx.root, parent);
    const order = [...slow].sort((a, b) => a - b);
    // The folder's records go together (Stamper.inTurn); their answers are waited for after the turn.
    const sent = await helper.inTurn(() => Promise.all(order.map((i) => ctx.files(() => stage(helperUpload(ctx, helper, parent, items[i] as WriteItem), dirAbs, items[i] as WriteItem, from)).catch((err: unknown) => failed(err)))));
    await Promise.all(sent.map(async (s, k) => {
      const i = order[k] as number;
      if (!('result' in s)) {
        results[i] = s;
        return;
      }
      try {
        results[i] = (await s.result) ?? abandonedWhole();
      } catch (err) {
        results[i] = failed(err);
      }
    }));
  }
  return results;
}

/** Whether a folder's or file's mode and mtime can be set through the helper (a link's own times go by touch). */
export function helperTakesAttrs(item: AttrItem): boolean {
  return item.kind !== 'symlink' && (item.mtimeMs === undefined || item.mtimeMs >= 0);
}

/** One answered record per item, sent in the folder's turn, entered afresh. */
async function perItem<T>(helper: Stamper, items: readonly T[], record: (item: T) => string): Promise<string[]> {
  const answers = await helper.inTurn(async () => items.map((item) => helper.writeWhole(Buffer.from(record(item)))));
  return Promise.all(answers.map((a) => a.catch(() => 'X')));
}

/** A step's result from perl's answer to M or S: a name that is not there is vanished. */
function stepOf(ctx: RemoteContext, parent: RelPath, answer: string): StepResult {
  if (answer === '1') return DONE;
  if (answer === 'EENOENT') return VANISHED;
  return resultOf(ctx, parent, answer, 0) ?? DONE;
}

/** Makes folders in `parent` through the helper (owner-writable until setAttrs gives them their mode). */
export async function helperMakeDirs(ctx: RemoteContext, helper: Stamper, parent: RelPath, items: readonly { readonly name: string }[]): Promise<StepResult[]> {
  const answers = await perItem(helper, items, (it) => `M\0${ctx.root}\0${parent}\0${it.name}\0`);
  return answers.map((a, i) => {
    const r = stepOf(ctx, parent, a);
    if (r === DONE) ctx.guard.trust(joinRel(parent, (items[i] as { name: string }).name));
    return r;
  });
}

/** Sets mode and mtime (to the microsecond) of folders and files in `parent` through the helper. */
export async function helperSetAttrs(ctx: RemoteContext, helper: Stamper, parent: RelPath, items: readonly AttrItem[]): Promise<StepResult[]> {
  const answers = await perItem(helper, items, (it) => {
    const mode = it.mode === undefined ? '-' : (it.mode & 0o7777).toString(8);
    const mtime = it.mtimeMs === undefined ? '-' : stampTime(it.mtimeMs);
    // The root is the item with no name: the folder perl has just entered.
    return `S\0${ctx.root}\0${parent}\0${it.name === '' ? '.' : it.name}\0${it.kind === 'dir' ? 'd' : 'f'}\0${mode}\0${mtime}\0`;
  });
  return answers.map((a) => stepOf(ctx, parent, a));
}

/** Whether perl's answer to U means the lock is gone or holds another run's text (nothing more to do). */
const unlocked = (answer: string | undefined): boolean => answer === '1' || answer === 'C' || answer === 'EENOENT';

/**
 * Removes the run's lock file from the root through the helper, where it runs: true once it is gone or holds another
 * run's text, false when the helper cannot say (the lock is then removed over SFTP).
 */
export async function helperUnlock(ctx: RemoteContext, helper: Stamper | undefined, text: string): Promise<boolean> {
  if (!helper?.writing) return false;
  return unlocked(await helper.writeWhole(Buffer.from(`U\0${ctx.root}\0${LOCK_NAME}\0${text}\0`)));
}

/**
 * The same U record, for when the helper is not running yet: piped to a perl of the helper's own script on the
 * connection's shell (one round trip, not SFTP's four; the checks are the helper's). perl says it runs, then answers.
 */
export async function shellUnlock(ctx: RemoteContext, shell: RemoteShell, text: string): Promise<boolean> {
  const r = await shell.run(`printf '%s\\0' U ${[ctx.root, LOCK_NAME, text].map(shQuote).join(' ')} | ${STAMPER_COMMAND}`).catch(() => undefined);
  const rest = r ? afterReady(r.stdout) : Buffer.alloc(0);
  if (rest.length === 0) return false;
  const end = rest.indexOf(0);
  return unlocked(rest.toString('latin1', 0, end < 0 ? rest.length : end));
}
