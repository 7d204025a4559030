/**
 * The gulp plugin: `gulp.src(...).pipe(absync(dest))` makes `dest` a mirror of the stream's base folder, with the
 * contents the stream carried. Files are collected as they come (nothing is written before the stream ends: only
 * the whole stream says what to delete), mirrored at flush by the engine, then passed on, each tagged with
 * `file.absync`. A destination entry the stream did not carry is deleted unless its source still exists under the
 * base (stream-bases.ts), so an incremental stream never deletes what merely did not change. Errors are
 * PluginErrors; nothing throws inside the stream.
 */
import { join, relative } from 'node:path';
import type { Transform } from 'node:stream';
import log from 'fancy-log';
import PluginError from 'plugin-error';
import through2 from 'through2';
import { isAbsyncError, isRemoteDestination, runSync, type Outcome, type Summary } from '../engine/index.js';
import { ENCODING_HINT } from './encoding-check.js';
import { fileActions } from './file-actions.js';
import { formatFailure } from '../shared/format.js';
import { keepFlowing } from './keep-flowing.js';
import { lazyReadStream } from './lazy-read.js';
import { createExcludes } from '../shared/path-filter.js';
import { resolvePluginOptions, type PluginOptions, type ResolvedPluginOptions } from './plugin-options.js';
import { receiveFile, toSlashes, type Received } from './receive-file.js';
import { SpoolDir } from './spool.js';
import { StreamBases } from './stream-bases.js';
import type { FileAction, VinylFile } from './vinyl-file.js';
import { buildVinylSnapshot, StreamConflictError, type VinylSnapshot } from './vinyl-snapshot.js';

export const PLUGIN_NAME = 'gulp-absync';

const CHANGED: ReadonlySet<FileAction> = new Set(['copied', 'updated', 'moved']);
const SHOWN_FAILURES = 5;

function isVinyl(file: unknown): file is VinylFile {
  return typeof file === 'object' && file !== null && typeof (file as VinylFile).isNull === 'function';
}

function warnDecoded(warnings: VinylSnapshot['warnings']): void {
  if (warnings.size === 0) return;
  const paths = [...warnings.keys()];
  const shown = paths.slice(0, SHOWN_FAILURES).join(', ') + (paths.length > SHOWN_FAILURES ? `, ... (${paths.length} in all)` : '');
  log.warn(`${PLUGIN_NAME}: WARNING: ${paths.length} file(s) look like binary files decoded as utf8, and are mirrored corrupted: ${shown}. ${ENCODING_HINT}`);
}

/** Says which entries were kept because the stream's names are not the names on disk (StreamBases.keeper). */
function warnUnsure(unsure: readonly string[], received: readonly Received[], destination: string): void {
  if (unsure.length === 0) return;
  const sorted = [...unsure].sort();
  const shown = sorted.slice(0, SHOWN_FAILURES).join(', ') + (sorted.length > SHOWN_FAILURES ? `, ... (${sorted.length} in all)` : '');
  const renamed = received.find((r) => r.ignored === undefined && r.path !== '' && (r.file.history?.length ?? 0) > 1);
  const first = renamed?.file.history?.[0];
  const example = renamed && first !== undefined ? ` (${toSlashes(relative(renamed.file.base, first))} became ${renamed.path})` : '';
  log(
    `${PLUGIN_NAME}: kept ${unsure.length} entr${unsure.length === 1 ? 'y' : 'ies'} of ${destination} that the stream did not carry: ${shown}. ` +
      `The stream's files were renamed or made by a plugin${example}, so whether their sources still exist cannot be told from disk; ` +
      'with a stream that carries every file, onlyStreamed: true deletes them',
  );
}

function failedRun(summary: Summary, received: readonly Received[]): PluginError {
  const n = summary.failures.length;
  const lines = summary.failures.slice(0, SHOWN_FAILURES).map(formatFailure);
  if (n > SHOWN_FAILURES) lines.push(`... and ${n - SHOWN_FAILURES} more`);
  const first = summary.failures[0]?.path ?? '';
  const from = received.find((r) => r.path === first)?.file.path;
  return new PluginError(PLUGIN_NAME, `${n} ${n === 1 ? 'entry' : 'entries'} could not be mirrored into ${summary.destination}:\n${lines.join('\n')}`, {
    fileName: from ?? (isRemoteDestination(summary.destination) ? `${summary.destination.replace(/\/$/, '')}/${first}` : join(summary.destination, first)),
  });
}

function toPluginError(err: unknown): PluginError {
  if (err instanceof PluginError) return err;
  if (isAbsyncError(err)) return new PluginError(PLUGIN_NAME, err, err.path ? { fileName: err.path } : {});
  if (err instanceof StreamConflictError) return new PluginError(PLUGIN_NAME, err.message, { fileName: err.path });
  if (!(err instanceof Error)) return new PluginError(PLUGIN_NAME, String(err));
  // An fs error that escaped the engine (e.g. creating the destination under a file): name its path.
  const path = (err as NodeJS.ErrnoException).path;
  return new PluginError(PLUGIN_NAME, err, typeof path === 'string' ? { fileName: path } : {});
}

/**
 * An empty stream says nothing about its source (not even which folder it is): nothing changes, unless
 * `allowEmptySource` asks for an empty stream to empty `dest`.
 */
async function mirrorNothing(options: ResolvedPluginOptions, emit: (s: Summary) => void): Promise<VinylFile[]> {
  if (!options.sync.allowEmptySource) {
    log(`${PLUGIN_NAME}: the stream carried no files: nothing to mirror, ${options.sync.destination} left as it is (allowEmptySource: true lets an empty stream empty it)`);
    return [];
  }
  const { summary } = await runSync(options.sync, { source: { root: process.cwd(), entries: new Map() } });
  emit(summary);
  if (summary.failed > 0) throw failedRun(summary, []);
  return [];
}

/** Mirrors the received files; resolves with the files to pass on, tagged. */
async function mirror(received: readonly Received[], bases: StreamBases, options: ResolvedPluginOptions, emit: (s: Summary) => void): Promise<VinylFile[]> {
  if (received.length === 0) return mirrorNothing(options, emit);
  const spool = new SpoolDir();
  let keepSpool = false;
  try {
    const built = await buildVinylSnapshot(received, spool);
    warnDecoded(built.warnings);
    // A buffer or stream keeps the mtime of the file it was read from, even when a plugin changed its bytes.
    const sync = built.byContent && !options.sync.checksum ? { ...options.sync, checksum: true } : options.sync;
    const outcomes: Outcome[] = [];
    const keeper = options.onlyStreamed ? undefined : bases.keeper(received);
    const { plan, summary } = await runSync(sync, { source: built.snapshot, onOutcome: (o) => outcomes.push(o), ...(keeper ? { keep: keeper.keep } : {}) });
    if (keeper) warnUnsure(keeper.unsure, received, sync.destination);
    emit(summary);
    if (summary.failed > 0) throw failedRun(summary, received);

    const actions = fileActions(plan, sync.dryRun ? undefined : outcomes, summary);
    const out: VinylFile[] = [];
    for (const r of received) {
      const action: FileAction = r.ignored ?? (built.underLinks.has(r.path) ? 'skipped' : actions.of(r.path));
      const warning = built.warnings.get(r.path);
      r.file.absync = { action, path: r.path, ...(sync.dryRun ? { dryRun: true } : {}), ...(warning ? { warning } : {}) };
      const spooledAt = built.spooled.get(r.file);
      if (spooledAt !== undefined) {
        // Its stream was read to mirror it: give it a fresh one over the same bytes, from the spool (a face never
        // reads the destination itself; every destination access goes through the engine's tree).
        keepSpool = true;
        r.file.contents = lazyReadStream(spooledAt);
      }
      if (!options.changedOnly || CHANGED.has(action)) out.push(r.file);
    }
    return out;
  } finally {
    // A spool still to be read by the files passed on stays until the process exits.
    if (!keepSpool) await spool.remove();
  }
}

/**
 * Makes `destination` a mirror of the files the stream carries (by `file.relative`), deleting at the end of the
 * stream every destination entry it did not carry (except excluded and protected ones). Throws at once on bad
 * options. The returned stream emits 'summary' (the engine's Summary) after the run, then passes the files on.
 */
export function absync(destination: string, options?: PluginOptions): Transform {
  let resolved: ResolvedPluginOptions;
  try {
    resolved = resolvePluginOptions(destination, options);
  } catch (err) {
    throw new PluginError(PLUGIN_NAME, err instanceof Error ? err.message : String(err));
  }
  const excludes = createExcludes(resolved.sync.exclude, resolved.sync.include);
  const received: Received[] = [];
  const bases = new StreamBases(resolved.sync.destination);

  const stream: Transform = through2.obj(
    function collect(file: unknown, _encoding: BufferEncoding, done: (err?: Error | null) => void) {
      if (!isVinyl(file)) return done(new PluginError(PLUGIN_NAME, 'expected vinyl files (from gulp.src or new Vinyl())'));
      const r = receiveFile(file, resolved.sync.destination, excludes);
      if ('error' in r) return done(new PluginError(PLUGIN_NAME, r.error, { fileName: file.path }));
      const nested = bases.add(file.base);
      if (nested !== undefined) return done(new PluginError(PLUGIN_NAME, nested, { fileName: file.path }));
      received.push(r);
      done();
    },
    function mirrorAtEnd(this: Transform, done: (err?: Error | null) => void) {
      mirror(received, bases, resolved, (summary) => this.emit('summary', summary)).then(
        (files) => {
          for (const file of files) this.push(file);
          done();
        },
        (err: unknown) => done(toPluginError(err)),
      );
    },
  ) as unknown as Transform;
  return keepFlowing(stream);
}
