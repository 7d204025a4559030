/**
 * The one options table. Every option of every face is described once here: its kind (type and check), default,
 * command-line flag, one-line doc and the faces that take it. Validation (`resolveOptions`), the CLI's parser and
 * --help, and the README's option tables (`npm run docs`) are all driven from it; `SyncOptions` and
 * `ResolvedOptions` are derived from it. Adding an option is one entry here, plus what it does.
 */
import { posix, resolve } from 'node:path';
import { parseRemote } from './remote-spec.js';
import { amount, badOption, bool, callback, callbackOrFalse, destinationFolder, file, fileNameOrFalse, flag, flagTable, folder, globs, oneOf, port, text, whole } from './option-kinds.js';
import { option, type Face, type OptionSpec } from './option-spec.js';
import type { Outcome, Progress } from './types.js';

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256';
export type { CliSpelling, Face, OptionSpec } from './option-spec.js';

const ALL_SYNC: readonly Face[] = ['cli', 'library', 'plugin', 'task', 'watch'];
const ROOTED: readonly Face[] = ['cli', 'library', 'task', 'watch'];
const GULP_AND_LIBRARY: readonly Face[] = ['library', 'plugin', 'task', 'watch'];

/**
 * The engine's options (what `sync()` takes; the other faces pass them on). Each key's doc comment is what editors
 * show; the `doc` line is what --help and the README print (a test keeps the two in step).
 */
export const SYNC_OPTIONS = {
  /** Folder to mirror from. Required by the CLI, `sync` and `absyncTask`; the plugin takes files from its stream. */
  source: option({ kind: folder(), default: undefined, doc: 'folder to mirror from', faces: ROOTED, cli: { positional: 'source' } }),
  /**
   * Folder to mirror into; created if missing (the CLI creates only the last level unless `--mkpath`). A folder on
   * another machine over SSH: `user@host:/path`, `host:path` (relative to the login folder) or `sftp://user@host:port/path`.
   */
  destination: option({ kind: destinationFolder(), default: undefined, doc: 'folder to mirror into, here or on another machine (`user@host:/path`)', faces: ROOTED, cli: { positional: 'destination' } }),
  /** Compare file contents (hash) whenever sizes match, even if mtimes match. Default false (size + mtime). */
  checksum: option({
    kind: bool(), default: false, faces: ALL_SYNC, cli: { flag: '--checksum', short: 'c', group: 'compare' },
    doc: 'compare contents (hash) when sizes match, even if mtimes match; files whose size differs are never hashed',
    docs: { plugin: 'also compare `read: false` files by content; Buffers and streams always are' },
  }),
  /** Hash used by `checksum` (and then to confirm renames). Without `checksum`, renames are confirmed with SHA-1, the fastest here. */
  hashAlgorithm: option({
    kind: oneOf<HashAlgorithm>(['md5', 'sha1', 'sha256']), default: 'md5', faces: ALL_SYNC, cli: { flag: '--hash', group: 'compare' },
    doc: 'the hash of checksum: md5, sha1 or sha256 (without checksum, renames are confirmed with SHA-1, the fastest here)',
  }),
  /** Compare only sizes: a file whose size matches is left alone even if its mtime differs (rsync --size-only). */
  sizeOnly: option({ kind: bool(), default: false, faces: ALL_SYNC, cli: { flag: '--size-only', group: 'compare' }, doc: 'a file of the same size is unchanged, whatever its mtime (rsync --size-only)' }),
  /** Mtimes that differ by at most this many seconds count as equal. Default: the platform's (exact where the file system keeps microseconds). */
  modifyWindow: option({
    kind: amount(0, 'seconds', '<s>'), default: undefined, defaultText: "the platform's", faces: ALL_SYNC, cli: { flag: '--modify-window', group: 'compare' },
    doc: 'mtimes this many seconds apart count as equal (rsync --modify-window)',
  }),
  /** Never overwrite a file that exists in the destination; only create missing ones (rsync --ignore-existing). */
  ignoreExisting: option({ kind: bool(), default: false, faces: ALL_SYNC, cli: { flag: '--ignore-existing', group: 'compare' }, doc: 'never update files that exist in the destination, only create missing ones' }),
  /** Leave a destination file alone when it is newer than the source's (rsync -u). */
  update: option({ kind: bool(), default: false, faces: ALL_SYNC, cli: { flag: '--update', short: 'u', group: 'compare' }, doc: 'leave destination files that are newer than the source\'s alone (rsync -u)' }),
  /** Mirror permission bits. false: content and mtimes only; new files get the default mode (rsync --no-perms). */
  perms: option({
    kind: bool(), default: true, faces: ALL_SYNC, cli: { flag: '--perms', short: 'p', negate: '--no-perms', negateDoc: 'mirror content and mtimes; existing files keep their modes, new ones get the source\'s less the umask', group: 'compare' },
    doc: 'mirror permission bits (false: content and mtimes; existing files keep their modes, new ones get the source\'s less the umask)',
  }),
  /** Globs (picomatch, against the relative path; a pattern without `/` also matches any base name). Excluded paths are neither copied nor deleted. */
  exclude: option({
    kind: globs(), default: [], defaultText: 'none', faces: ALL_SYNC, doc: 'globs (see Filters): paths matching are neither copied nor deleted',
    docs: { plugin: 'globs (see Filters): not mirrored, never deleted from `dest`; excluded files still pass on' },
    cli: { flag: '--exclude', group: 'filter', doc: 'paths matching are neither copied nor deleted (repeatable)' },
  }),
  /** Globs that win over `exclude`. */
  include: option({ kind: globs(), default: [], defaultText: 'none', faces: ALL_SYNC, cli: { flag: '--include', group: 'filter', doc: 'keeps paths an exclude matched (repeatable)' }, doc: 'globs that win over exclude' }),
  /** Also delete destination entries that `exclude` matches (rsync --delete-excluded); `protect` still wins. */
  deleteExcluded: option({ kind: bool(), default: false, faces: ALL_SYNC, cli: { flag: '--delete-excluded', group: 'filter' }, doc: 'also delete excluded entries from the destination (protected ones stay), as rsync --delete-excluded' }),
  /** Name of the ignore file (gitignore syntax) read from the source root; false for none. */
  ignoreFile: option({
    kind: fileNameOrFalse(), default: '.absyncignore', faces: ALL_SYNC, docs: { plugin: 'for the task and the watch: gitignore-style rules read from the source root; `false` for none' }, cli: { flag: '--ignore-file', negate: '--no-ignore-file', negateDoc: 'do not read an ignore file', group: 'filter' },
    doc: 'a file of gitignore-style rules in the source root',
  }),
  /** Destination globs that are never deleted or overwritten. */
  protect: option({
    kind: globs(), default: [], defaultText: 'none', faces: ALL_SYNC, doc: 'destination globs never deleted or overwritten', docs: { plugin: '`dest` globs never deleted or overwritten' },
    cli: { flag: '--protect', group: 'delete', doc: 'destination entries that are never deleted or overwritten (repeatable)' },
  }),
  /** Delete destination entries the source does not have. Default true. */
  delete: option({
    kind: bool(), default: true, faces: ALL_SYNC, doc: 'delete destination entries the source does not have',
    docs: { plugin: 'delete `dest` entries the stream did not carry (and, without `onlyStreamed`, whose source is gone)' },
    cli: { flag: '--delete', negate: '--no-delete', negateDoc: 'keep extraneous destination entries', group: 'delete' },
  }),
  /** Turn a delete plus an identical copy into a rename inside the destination. Default true. */
  detectRenames: option({ kind: bool(), default: true, faces: ALL_SYNC, cli: { flag: '--renames', negate: '--no-renames', negateDoc: 'do not detect renamed or moved files: copy them', group: 'delete' }, doc: 'move identical content inside the destination instead of copying it' }),
  /** Refuse the whole run if it would delete more than this many entries. Default: no limit. */
  maxDelete: option({ kind: whole(0), default: Infinity, defaultText: 'no limit', faces: ALL_SYNC, cli: { flag: '--max-delete', group: 'delete' }, doc: 'refuse the whole run if it would delete more entries than this' }),
  /** Allow an empty source to empty a non-empty destination. Default false. */
  allowEmptySource: option({
    kind: bool(), default: false, faces: ALL_SYNC, cli: { flag: '--allow-empty-source', group: 'delete' }, doc: 'let an empty (or nearly empty) source empty a full destination',
    docs: { plugin: 'let an empty stream empty `dest`, and a nearly empty one delete nearly all of it' },
  }),
  /**
   * Move deleted and overwritten destination files here (keeping their relative paths) instead of destroying them.
   * A relative path is relative to the destination, as in rsync; inside the destination it is left out of the mirror.
   * For a remote destination it is a folder on the same server (a posix path, relative to the destination or absolute).
   */
  backupDir: option({
    kind: folder(), default: undefined, defaultText: 'none', faces: ALL_SYNC, cli: { flag: '--backup-dir', group: 'delete' },
    doc: 'move deleted and overwritten files here, keeping their relative paths (relative: to the destination; on its server for a remote one)',
  }),
  /** Create the destination's missing parent folders. Default true; the CLI's default is false, like rsync's (`--mkpath`). */
  mkpath: option({
    kind: bool(), default: true, faces: ALL_SYNC, cli: { flag: '--mkpath', default: false, defaultText: 'off', group: 'run', doc: 'create the destination\'s missing parent folders (without it, a missing parent is refused)' },
    doc: 'create the destination\'s missing parent folders',
  }),
  /** Plan and report, change nothing. Default false. */
  dryRun: option({
    kind: bool(), default: false, faces: ALL_SYNC, doc: 'plan and report, change nothing', docs: { plugin: 'change nothing; files are tagged with what would happen (`file.absync.dryRun`)' },
    cli: { flag: '--dry-run', short: 'n', group: 'run', doc: 'print the plan, one line per action, and change nothing' },
  }),
  /** How many file operations run at once. Default 32. */
  concurrency: option({ kind: whole(1), default: 32, faces: ALL_SYNC, cli: { flag: '--concurrency', group: 'run' }, doc: 'file operations in flight at once' }),
  /** How long to wait for another run's lock on the destination, in milliseconds. Default 0 (refuse at once). */
  lockTimeout: option({
    kind: whole(0), default: 0, faces: ALL_SYNC, doc: 'milliseconds to wait for another run\'s lock on the destination, instead of refusing at once',
    cli: { flag: '--lock-timeout', scale: 1000, kind: amount(0, 'seconds', '<s>'), group: 'run', doc: 'seconds to wait for another run on the same destination, instead of refusing at once' },
  }),
  /** A private key file (OpenSSH, PEM or PPK, no passphrase). Without it: ssh-agent ($SSH_AUTH_SOCK), then ~/.ssh/id_ed25519 and id_rsa. */
  identity: option({
    kind: file(), default: undefined, defaultText: 'ssh-agent, then ~/.ssh/id_ed25519, id_rsa', faces: ALL_SYNC, cli: { flag: '--identity', group: 'remote' },
    doc: 'the private key to log in with (remote destinations)',
  }),
  /** The known_hosts file that host keys are checked against (and recorded in, with `acceptNewHostKey`). */
  knownHosts: option({
    kind: file(), default: undefined, defaultText: '~/.ssh/known_hosts', faces: ALL_SYNC, cli: { flag: '--known-hosts', group: 'remote' },
    doc: 'the known_hosts file host keys are checked against (hashed and [host]:port entries understood)',
  }),
  /** Trust and record an unknown host's key (ssh's StrictHostKeyChecking=accept-new); a changed key is always refused. */
  acceptNewHostKey: option({
    kind: bool(), default: false, faces: ALL_SYNC, cli: { flag: '--accept-new-host-key', group: 'remote' },
    doc: 'trust an unknown host and record its key (a changed key is always refused)',
  }),
  /** The SSH port for the `host:path` forms (an `sftp://` URL carries its own). Default: ~/.ssh/config's Port, else 22. */
  sshPort: option({
    kind: port(), default: undefined, defaultText: "~/.ssh/config's, else 22", faces: ALL_SYNC, cli: { flag: '--ssh-port', group: 'remote' },
    doc: 'the SSH port of a user@host:/path destination',
  }),
  /**
   * Milliseconds to wait for the TCP connection and the SSH handshake (the connect is tried 3 times), and, up to 10 s,
   * for the account's shell to answer the exec probe (a shell that does not: SFTP alone for the run, said in the summary).
   */
  connectTimeout: option({
    kind: whole(1), default: 20_000, faces: ALL_SYNC, doc: 'milliseconds to wait for the SSH connection and handshake (and, up to 10 s, for the exec probe)',
    cli: { flag: '--connect-timeout', scale: 1000, kind: amount(0.001, 'seconds', '<s>'), group: 'remote', doc: 'seconds to wait for the SSH connection and handshake (and, up to 10, for the exec probe)' },
  }),
  /** Milliseconds a remote request may go unanswered before the run fails (rsync --timeout). */
  ioTimeout: option({
    kind: whole(1), default: 60_000, faces: ALL_SYNC, doc: 'milliseconds a remote request may go unanswered before the run fails',
    cli: { flag: '--timeout', scale: 1000, kind: amount(0.001, 'seconds', '<s>'), group: 'remote', doc: 'seconds a remote request may go unanswered before the run fails (rsync --timeout)' },
  }),
  /** Files uploaded at once to a remote destination; ~1,000 pays off at 20 ms round trips. */
  filesInFlight: option({
    kind: whole(1), default: 64, faces: ALL_SYNC, cli: { flag: '--files-in-flight', group: 'remote' },
    doc: 'files uploaded at once to a remote destination (more for a distant server)',
  }),
  /** Called a few times a second while a run goes on, and at the end of each phase (counts, bytes, totals). */
  onProgress: option({ kind: callback<(progress: Progress) => void>(), default: undefined, defaultText: 'none', faces: GULP_AND_LIBRARY, doc: 'called a few times a second with files and bytes done of the total' }),
  /** Called with each action's outcome as it finishes (done, failed, vanished); not called by a dry run. */
  onAction: option({ kind: callback<(outcome: Outcome) => void>(), default: undefined, defaultText: 'none', faces: GULP_AND_LIBRARY, doc: 'called with the outcome of each action as it finishes' }),
} as const;

/**
 * What only one face takes: the CLI's output and run-mode flags, the plugin's, the task's and the watch's own
 * options. The faces validate these with `resolveFaceOptions`.
 */
/** The longest wait a Node timer takes (2^31 - 1 ms); a longer one fires at once, every millisecond. */
export const MAX_TIMER_S = 2_147_483;

export const FACE_OPTIONS = {
  /** One sync, even with an interval. */
  once: option({ kind: flag(), default: false, doc: 'one sync, even with an interval', faces: ['cli'], cli: { flag: '--once', group: 'run' } }),
  /** Seconds between runs (the CLI's third argument; a watch's `interval`). */
  interval: option({
    kind: amount(0, 'seconds', '<s>', MAX_TIMER_S, "Node's longest timer, about 24.8 days"), default: undefined, defaultText: 'none', faces: ['cli', 'watch'], doc: 'also sync every this many seconds (fractions allowed)',
    cli: { positional: 'interval-seconds', group: 'run', doc: 'sync now, then every this many seconds until stopped (0: once)' },
  }),
  /** Append timestamped lines to this file (its folder is created). */
  logFile: option({
    kind: file(), default: undefined, defaultText: 'none', faces: ['cli', 'watch'], doc: 'file to append timestamped lines to; its folder is created; one that cannot be written throws at start',
    cli: { flag: '--log-file', positional: 'logfile', group: 'output', doc: 'append timestamped lines to this file (like the logfile argument)' },
  }),
  /** Read --exclude patterns from a file, one per line. */
  excludeFrom: option({ kind: file(), default: undefined, doc: 'read exclude globs from a file, one per line (# and ; start comments)', faces: ['cli'], cli: { flag: '--exclude-from', group: 'filter' } }),
  /** Read --include patterns from a file, one per line. */
  includeFrom: option({ kind: file(), default: undefined, doc: 'read include globs from a file, one per line', faces: ['cli'], cli: { flag: '--include-from', group: 'filter' } }),
  /** Print each action as it is done (or planned, with --dry-run). */
  verbose: option({ kind: flag(), default: false, doc: 'print each action as it is done; in interval mode, every run', faces: ['cli'], cli: { flag: '--verbose', short: 'v', group: 'output' } }),
  /** Print each action's itemized line as it is done. */
  itemize: option({ kind: flag(), default: false, doc: 'print each action\'s itemized line as it is done', faces: ['cli'], cli: { flag: '--itemize-changes', short: 'i', group: 'output' } }),
  /** Print only warnings and errors. */
  quiet: option({ kind: flag(), default: false, doc: 'print only warnings and errors', faces: ['cli'], cli: { flag: '--quiet', short: 'q', group: 'output' } }),
  /** A progress line: files and bytes done of the total, rate and ETA. */
  progress: option({
    kind: flag(), default: false, faces: ['cli'], cli: { flag: '--progress', short: 'P', group: 'output' },
    doc: 'show files and bytes done of the total, rate and ETA (on stderr: one line on a terminal, else a line every 10 s)',
  }),
  /** A block of figures at the end. */
  stats: option({ kind: flag(), default: false, doc: 'print entries scanned, planned and done by kind, bytes and time per phase at the end', faces: ['cli'], cli: { flag: '--stats', group: 'output' } }),
  /** The summary as one JSON line, last on stdout. */
  json: option({ kind: flag(), default: false, doc: 'print the run\'s summary (or refusal) as one JSON line, the last on stdout', faces: ['cli'], cli: { flag: '--json', group: 'output' } }),
  /** rsync -a, -r, -t, -l: what absync always does. */
  archive: option({ kind: flag(), default: false, doc: 'rsync\'s archive mode: what absync always does', faces: ['cli'], cli: { flag: '--archive', short: 'a', group: 'rsync', silent: true } }),
  recursive: option({ kind: flag(), default: false, doc: 'always', faces: ['cli'], cli: { flag: '--recursive', short: 'r', group: 'rsync', silent: true } }),
  times: option({ kind: flag(), default: false, doc: 'always', faces: ['cli'], cli: { flag: '--times', short: 't', group: 'rsync', silent: true } }),
  links: option({ kind: flag(), default: false, doc: 'always', faces: ['cli'], cli: { flag: '--links', short: 'l', group: 'rsync', silent: true } }),
  wholeFile: option({ kind: flag(), default: false, doc: 'always (files are sent whole)', faces: ['cli'], cli: { flag: '--whole-file', short: 'W', group: 'rsync', silent: true } }),
  help: option({ kind: flag(), default: false, doc: 'this help', faces: ['cli'], cli: { flag: '--help', short: 'h', group: 'output' } }),
  version: option({ kind: flag(), default: false, doc: 'print the name, version and engine in use', faces: ['cli'], cli: { flag: '--version', short: 'V', group: 'output' } }),

  /** Pass on only the files that were copied, updated or moved (for a deploy step). */
  changedOnly: option({ kind: bool(), default: false, doc: 'pass on only the copied, updated and moved files', faces: ['plugin'] }),
  /** The stream is the whole source: also delete `dest` entries it did not carry whose source still exists under its base. */
  onlyStreamed: option({
    kind: bool(), default: false, faces: ['plugin'],
    doc: 'the stream is the whole source: also delete `dest` entries it did not carry whose source still exists under its base',
  }),

  /** The task's name in gulp's output; given, gulp registers an exported task under it instead of its export name. */
  displayName: option({
    kind: text(), default: undefined, defaultText: 'none', faces: ['task'],
    doc: 'the task\'s name in gulp\'s output; given, gulp registers an exported task under it instead of its export name',
  }),
  /** Shown by `gulp --tasks`. */
  description: option({ kind: text(), default: undefined, defaultText: '`Mirror <source> into <destination>`', doc: 'shown by `gulp --tasks`', faces: ['task'] }),
  /** `{ '--flag': 'what it does' }`, shown by `gulp --tasks` (a task reads its flags from process.argv itself). */
  flags: option({ kind: flagTable(), default: undefined, defaultText: 'none', doc: '`{ \'--flag\': \'what it does\' }`, shown by `gulp --tasks`', faces: ['task'] }),
  /** Where the face's lines go; false for silence. */
  log: option({
    kind: callbackOrFalse<(line: string) => void>(), default: undefined, defaultText: 'fancy-log', faces: ['task', 'watch'],
    doc: 'a function receiving each line, or `false`', docs: { task: 'a function receiving the summary line, or `false`' },
  }),

  /** Sync when the source changes (chokidar, as gulp.watch), and once more when the watcher is ready. */
  watch: option({ kind: bool(), default: true, doc: 'sync when the source changes', faces: ['watch'] }),
  /** Wait this long after the last change of a burst before syncing, in milliseconds. */
  debounce: option({ kind: amount(0, 'milliseconds'), default: 200, doc: 'milliseconds of quiet after a change before syncing', faces: ['watch'] }),
  /** Called after every run, finished, failed or refused. */
  onRun: option({ kind: callback<(run: unknown) => void>(), default: undefined, defaultText: 'none', doc: 'called with { n, trigger, summary?, error? } after every run', faces: ['watch'] }),
  /** Stop cleanly on SIGINT and SIGTERM (SIGBREAK on Windows); the handlers go when the watch closes. */
  handleSignals: option({ kind: bool(), default: false, doc: 'stop cleanly on SIGINT and SIGTERM (for a gulp task); the handlers are removed on close', faces: ['watch'] }),
} as const;

/** Every option, engine and face, keyed by its API name. */
export const OPTIONS: Readonly<Record<string, OptionSpec>> = { ...SYNC_OPTIONS, ...FACE_OPTIONS } as Record<string, OptionSpec>;

type Table = typeof SYNC_OPTIONS;
type InOf<S> = S extends OptionSpec<infer I, unknown> ? I : never;
type OutOf<S> = S extends OptionSpec<unknown, infer O> ? O : never;
/** Options whose resolved value may be absent (no default): callbacks, the backup folder, the platform's window. */
type Optional = 'onProgress' | 'onAction' | 'modifyWindow' | 'identity' | 'knownHosts' | 'sshPort';

/** Options shared by every face, as callers pass them. All are optional except where a face says otherwise. */
export type SyncOptions = { -readonly [K in keyof Table]?: InOf<Table[K]> };

/** Complete, validated, frozen options as the engine sees them. */
export type ResolvedOptions = { readonly [K in Exclude<keyof Table, Optional>]: OutOf<Table[K]> } & {
  readonly [K in Optional]?: OutOf<Table[K]>;
};

const SYNC_KEYS: ReadonlySet<string> = new Set(Object.keys(SYNC_OPTIONS));

function check(name: string, value: unknown): unknown {
  const spec = OPTIONS[name] as OptionSpec;
  return value === undefined ? spec.default : spec.kind.check(value, name);
}

/** Validates public options; `needSource` is false for the plugin, whose source is its stream. */
export function resolveOptions(input: SyncOptions, needSource = true): ResolvedOptions {
  if (typeof input !== 'object' || input === null) badOption('options must be an object');
  for (const key of Object.keys(input)) if (!SYNC_KEYS.has(key)) badOption(`unknown option "${key}"`, key);
  const given = input as Record<string, unknown>;
  if (given.destination === undefined || given.destination === null) badOption('destination is required', 'destination');
  if ((given.source === undefined || given.source === null) && needSource) badOption('source is required', 'source');
  const out: Record<string, unknown> = {};
  for (const name of SYNC_KEYS) {
    const value = check(name, given[name] ?? undefined);
    if (value !== undefined) out[name] = value;
  }
  out.source ??= '';
  if (parseRemote(String(given.source ?? '')) !== undefined) {
    badOption(`source ${String(given.source)} is on another machine: only destinations may be remote (a local folder with a colon in its name: write ./${String(given.source)})`, 'source');
  }
  // A relative backup folder is relative to the destination, as in rsync (an absolute path stays as it is). On a
  // remote destination it is a folder of that server: kept as a posix path for the remote tree to resolve.
  const remote = parseRemote(out.destination as string) !== undefined;
  out.backupDir = input.backupDir === undefined ? '' : remote ? posix.normalize(input.backupDir) : resolve(out.destination as string, input.backupDir);
  return Object.freeze(out) as unknown as ResolvedOptions;
}

/**
 * Validates a face's own options (`changedOnly`, `interval`, ...) with the table's checks and defaults, and returns
 * them with the rest (the engine's options, for `resolveOptions`). Unknown names are left in the rest.
 */
export function resolveFaceOptions(face: Face, input: Record<string, unknown>): { own: Record<string, unknown>; rest: Record<string, unknown> } {
  const own: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const spec = (FACE_OPTIONS as Record<string, OptionSpec>)[key];
    if (spec?.faces.includes(face)) own[key] = check(key, value);
    else rest[key] = value;
  }
  for (const [key, spec] of Object.entries(FACE_OPTIONS as Record<string, OptionSpec>)) {
    if (spec.faces.includes(face) && !(key in own) && spec.default !== undefined) own[key] = spec.default;
  }
  return { own, rest };
}

/** The options a face takes, in table order. */
export function optionsOf(face: Face): [string, OptionSpec][] {
  return Object.entries(OPTIONS).filter(([, spec]) => spec.faces.includes(face));
}
