/**
 * The plugin's per-file step, run as each vinyl file arrives: check its relative path, classify it, and decide
 * whether it is mirrored at all. Nothing is read or written here.
 */
import { resolve, sep as platformSep } from 'node:path';
import { checkRelative, isInsideAbs, isRemoteDestination, type RelPath } from '../engine/index.js';
import type { Excludes } from '../shared/path-filter.js';
import { isReservedPath } from '../shared/reserved-names.js';
import type { VinylFile } from './vinyl-file.js';

/** A file as received, checked and classified before the stream ends. */
export interface Received {
  readonly file: VinylFile;
  /** Destination-relative path; '' for the stream's base folder itself (never mirrored). */
  readonly path: RelPath;
  readonly kind: 'file' | 'dir' | 'symlink';
  /** Why the file is not mirrored (it is still passed on). */
  readonly ignored?: 'excluded' | 'skipped';
}

/** A file that must stop the stream: its path escapes, or it comes from inside the destination. */
export interface Rejected {
  readonly error: string;
}

function kindOf(file: VinylFile): Received['kind'] {
  if (file.isDirectory()) return 'dir';
  if (file.isSymbolic()) return 'symlink';
  return 'file';
}

/**
 * `file.relative` as a `/`-separated path. On Windows vinyl gives `\`-separated paths; elsewhere a `\` is part
 * of a name (checkRelative still refuses `..\x`, which would escape on Windows).
 */
export function toSlashes(relative: string, sep: string = platformSep): string {
  return sep === '\\' ? relative.split('\\').join('/') : relative;
}

/**
 * macOS: the engine keys names by their NFC form there (HFS+ lists names as NFD whatever was written, APFS finds
 * either form), so the plugin keys the stream's paths the same way; otherwise a file gulp.src read back as NFD would
 * not match its destination twin and be copied again on every run.
 */
const NFC_NAMES = process.platform === 'darwin';

/**
 * `sep`: the platform's path separator, which `file.relative` uses; `nfc`: key names by their NFC form, as the
 * engine's scan does on this platform (both parameters for tests).
 */
export function receiveFile(file: VinylFile, destination: string, excludes: Excludes, sep: string = platformSep, nfc: boolean = NFC_NAMES): Received | Rejected {
  const kind = kindOf(file);
  let raw: string;
  try {
    raw = toSlashes(file.relative, sep);
    if (nfc) raw = raw.normalize('NFC');
  } catch (err) {
    return { error: `file has no path: ${(err as Error).message}` };
  }
  if (kind === 'dir' && (raw === '' || raw === '.')) return { file, path: '', kind, ignored: 'skipped' };
  const checked = checkRelative(raw);
  if (!checked.ok) return { error: `file path ${JSON.stringify(raw)} ${checked.message}; refusing to mirror it` };
  if (typeof file.path === 'string' && file.path !== '' && !isRemoteDestination(destination) && isInsideAbs(resolve(file.path), destination)) {
    return { error: `${file.path} lies inside the destination ${destination}; a mirror cannot be its own source` };
  }
  const path = checked.path;
  if (isReservedPath(path)) return { file, path, kind, ignored: 'skipped' };
  if (excludes(path, kind === 'dir')) return { file, path, kind, ignored: 'excluded' };
  return { file, path, kind };
}
