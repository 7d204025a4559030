/**
 * The addon's per-item results decoded in one place on this side of the C boundary: result codes by the names the
 * addon exports (native/results.h), and its "code\nmessage" error texts.
 */
import { lstatSync } from 'node:fs';
import { describeError } from '../../errors.js';
import { toAbs } from '../../paths.js';
import type { StepResult } from '../tree.js';
import type { Addon, BatchResults } from './addon.js';

/** An Error like Node's fs errors (with `code`) from the addon's "code\nmessage" text. */
export function nativeError(text: string | undefined): Error & { code: string } {
  const [code = 'EUNKNOWN', message = 'failed'] = (text ?? '').split('\n');
  return Object.assign(new Error(message), { code });
}

/** Names the folder on the way to `path` that is not a real folder (for the message only: the addon already refused). */
function unsafeMessage(root: string, path: string): string {
  let at = '';
  for (const name of path.split('/').slice(0, -1)) {
    at = at === '' ? name : `${at}/${name}`;
    try {
      const st = lstatSync(toAbs(root, at));
      if (!st.isDirectory()) return `destination folder ${JSON.stringify(at)} is ${st.isSymbolicLink() ? 'a symlink' : 'not a folder'}; refusing to write through it`;
    } catch {
      break;
    }
  }
  return `a folder on the way to ${JSON.stringify(path)} is not a real folder; refusing to write through it`;
}

/** One StepResult per item of a batch, for the tree at `root`; `where(i)` names the item's path. */
export function decodeResults(addon: Addon, root: string, batch: BatchResults, where: (i: number) => string): StepResult[] {
  const r = addon.results;
  const out: StepResult[] = [];
  for (let i = 0; i < batch.results.length; i++) {
    const code = batch.results[i];
    if (code === r.done) out.push({ status: 'done' });
    else if (code === r.vanished) out.push({ status: 'vanished' });
    else if (code === r.changed) out.push({ status: 'changed-since-scan' });
    else if (code === r.unsafe) out.push({ status: 'failed', error: { code: 'EUNSAFE', message: unsafeMessage(root, where(i)) } });
    else if (code === r.torn) out.push({ status: 'failed', error: { code: 'ETORN', message: 'source changed while being copied (3 tries); will retry next run' } });
    else out.push({ status: 'failed', error: describeError(nativeError(batch.errors[i])) });
  }
  return out;
}

/** The four numbers (kind, size, mtime in whole microseconds, inode) of a fingerprint for the addon; NaN kind: none. */
export function expectNumbers(f: { kind: string; size?: number; mtimeMs?: number; ino?: number } | undefined): [number, number, number, number] {
  if (!f) return [Number.NaN, -1, Number.NaN, -1];
  const kind = KIND_CODES[f.kind] ?? 3;
  return [kind, f.size ?? -1, f.mtimeMs === undefined ? Number.NaN : Math.round(f.mtimeMs * 1000), f.ino ?? -1];
}

/** native/results.h's K_* order (pack.ts's KINDS). */
const KIND_CODES: Record<string, number> = { file: 0, dir: 1, symlink: 2, special: 3 };
export const KIND = KIND_CODES as { readonly file: number; readonly dir: number; readonly symlink: number; readonly special: number };
