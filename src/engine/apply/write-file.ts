/**
 * Writes a file to a temporary name in its target folder, sets mode and mtime, then renames it into place: a
 * crash or kill never leaves a truncated file under the real name. A source that changes while it is copied
 * (size or mtime differ before and after) is copied again, a few times, then reported as failed.
 */
import { constants, createWriteStream } from 'node:fs';
import { chmod, copyFile, lstat, unlink, utimes, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { nativeAddon } from '../native.js';
import { diskPathOf, parentOf, toAbs } from '../paths.js';
import { toEntry } from '../scan/to-entry.js';
import { sameMtime, toUtimes } from '../times.js';
import type { ContentSource, CopyAction, FileEntry, UpdateAction } from '../types.js';
import { type ApplyContext, tempNameIn } from './context.js';
import { putInPlace, TornCopyError, TRIES, type WriteResult } from './write-result.js';
import { writeNative } from './write-native.js';

export type { WriteResult } from './write-result.js';

async function writeContent(content: ContentSource, tmp: string): Promise<void> {
  if (content.type === 'path') return copyFile(content.path, tmp, constants.COPYFILE_FICLONE);
  if (content.type === 'buffer') return writeFile(tmp, content.data);
  await pipeline(content.open(), createWriteStream(tmp));
}

/** The source's state now, or 'gone' if it is no longer a regular file (deleted, or replaced by a folder or link). */
async function sourceNow(path: string): Promise<FileEntry | 'gone'> {
  const st = await lstat(path, { bigint: true }).catch(() => undefined);
  return st?.isFile() ? (toEntry(st, () => '') as FileEntry) : 'gone';
}

/** Copies once; returns the source's state after the copy ('same' for in-memory contents), or 'gone'. */
async function copyOnce(content: ContentSource, tmp: string): Promise<FileEntry | 'gone' | 'same'> {
  try {
    await writeContent(content, tmp);
  } catch (err) {
    if (content.type === 'path' && (await sourceNow(content.path)) === 'gone') return 'gone';
    throw err;
  }
  // copyFile follows links: a source swapped for a link during the copy is caught here, and the copy dropped.
  return content.type === 'path' ? sourceNow(content.path) : 'same';
}

function unchanged(a: FileEntry, b: FileEntry): boolean {
  return a.size === b.size && sameMtime(a.mtimeMs, b.mtimeMs) && a.ino === b.ino;
}

export async function writeFileAction(ctx: ApplyContext, action: CopyAction | UpdateAction): Promise<WriteResult> {
  const content: ContentSource = ctx.source.contents?.get(action.path) ?? { type: 'path', path: toAbs(ctx.source.root, action.path) };
  const native = diskPathOf(ctx.source, action.path) !== undefined ? nativeAddon() : undefined;
  if (native) return writeNative(native, ctx, action);
  ctx.parents.check(action.path);
  const tmp = tempNameIn(toAbs(ctx.root, parentOf(action.path)));
  let expected: FileEntry = action.source;
  let placed = false;
  try {
    for (let attempt = 1; ; attempt++) {
      const after = await copyOnce(content, tmp);
      if (after === 'gone') return 'vanished';
      if (after === 'same' || unchanged(expected, after)) break;
      if (attempt >= TRIES) {
        throw new TornCopyError(`source changed while being copied (${TRIES} tries); will retry next run`);
      }
      expected = after;
    }
    // copyFile copies mode bits; a buffer or stream gets the default mode, so set it.
    if (content.type !== 'path') await chmod(tmp, expected.mode);
    await utimes(tmp, Date.now() / 1000, toUtimes(expected.mtimeMs));
    const result = await putInPlace(ctx, action, tmp);
    placed = result === 'done';
    return result;
  } finally {
    if (!placed) await unlink(tmp).catch(() => undefined);
  }
}
