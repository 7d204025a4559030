/** `absync <source> <destination> [interval-seconds] [logfile] [options]` parsed into engine options. */
import { parseArgs } from 'node:util';
import type { HashAlgorithm, SyncOptions } from '../engine/index.js';

export const USAGE = `usage: absync <source> <destination> [interval-seconds] [logfile] [options]

Makes <destination> an exact mirror of <source> (like rsync -a --delete): copies what is missing or
different, deletes what the source no longer has, keeps permission bits, mtimes, symlinks and empty folders.
With an interval, syncs now and then every N seconds until Ctrl-C; with a logfile, appends to it.

options:
  --once                  one sync, then exit (the default without an interval)
  -n, --dry-run           print what would change, change nothing
  -c, --checksum          compare contents when sizes match, even if mtimes match
      --hash <name>       md5 (default), sha1 or sha256, for --checksum
      --exclude <glob>    leave matching paths alone on both sides (repeatable)
      --include <glob>    keep paths that an --exclude matched (repeatable)
      --protect <glob>    never delete or overwrite matching destination entries (repeatable)
      --no-delete         do not delete extraneous destination entries
      --no-renames        do not detect renamed or moved files
      --ignore-file <name>  gitignore-style rules read from the source root (default .absyncignore)
      --no-ignore-file    do not read an ignore file
      --backup-dir <dir>  move deleted and overwritten files there instead (relative: to the destination)
      --max-delete <n>    refuse the run if it would delete more than n entries
      --allow-empty-source  allow an empty source to empty the destination
      --concurrency <n>   file operations at once (default 32)
      --lock-timeout <s>  wait up to s seconds for another run on the same destination (default 0)
      --json              print the run's summary as one JSON line, last on stdout
  -v, --verbose           print every action
  -q, --quiet             print only errors
  -h, --help              this help
      --version           print the version

exit codes: 0 the destination is an exact mirror; 1 finished, but some entries failed (listed on stderr);
            2 bad input or refused, nothing changed.`;

export interface CliArgs {
  readonly options: SyncOptions;
  /** Seconds between runs; undefined for a single run. */
  readonly interval?: number;
  readonly logFile?: string;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly quiet: boolean;
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; args: CliArgs };

export class UsageError extends Error {}

function whole(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n < min) throw new UsageError(`${flag} takes a number >= ${min}, got "${value}"`);
  return n;
}

export function parseCli(argv: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        once: { type: 'boolean' },
        'dry-run': { type: 'boolean', short: 'n' },
        checksum: { type: 'boolean', short: 'c' },
        hash: { type: 'string' },
        exclude: { type: 'string', multiple: true },
        include: { type: 'string', multiple: true },
        protect: { type: 'string', multiple: true },
        'no-delete': { type: 'boolean' },
        'no-renames': { type: 'boolean' },
        'ignore-file': { type: 'string' },
        'no-ignore-file': { type: 'boolean' },
        'backup-dir': { type: 'string' },
        'max-delete': { type: 'string' },
        'allow-empty-source': { type: 'boolean' },
        concurrency: { type: 'string' },
        'lock-timeout': { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  const pos = parsed.positionals;
  if (pos.length < 2) throw new UsageError('missing <source> and <destination>');
  if (pos.length > 4) throw new UsageError(`too many arguments: ${pos.slice(4).join(' ')}`);
  const [source, destination, third, fourth] = pos as [string, string, string?, string?];
  if (source === '' || destination === '') throw new UsageError('<source> and <destination> must not be empty');
  // `absync src dst run.log` is a single run with a log: a third word that is not a number is the logfile.
  const thirdIsLog = third !== undefined && fourth === undefined && !/^\d/.test(third);
  const logFile = thirdIsLog ? third : fourth;
  let interval = thirdIsLog ? undefined : whole(third, 'interval-seconds', 0);
  if (v.once || interval === 0) interval = undefined;
  const maxDelete = whole(v['max-delete'], '--max-delete', 0);
  const concurrency = whole(v.concurrency, '--concurrency', 1);
  const lockTimeout = whole(v['lock-timeout'], '--lock-timeout', 0);
  const options: SyncOptions = {
    source,
    destination,
    ...(v['dry-run'] ? { dryRun: true } : {}),
    ...(v.checksum ? { checksum: true } : {}),
    ...(v.hash !== undefined ? { hashAlgorithm: v.hash as HashAlgorithm } : {}),
    ...(v.exclude ? { exclude: v.exclude } : {}),
    ...(v.include ? { include: v.include } : {}),
    ...(v.protect ? { protect: v.protect } : {}),
    ...(v['no-delete'] ? { delete: false } : {}),
    ...(v['no-renames'] ? { detectRenames: false } : {}),
    ...(v['ignore-file'] !== undefined ? { ignoreFile: v['ignore-file'] } : {}),
    ...(v['no-ignore-file'] ? { ignoreFile: false as const } : {}),
    ...(v['backup-dir'] !== undefined ? { backupDir: v['backup-dir'] } : {}),
    ...(maxDelete !== undefined ? { maxDelete: Math.floor(maxDelete) } : {}),
    ...(v['allow-empty-source'] ? { allowEmptySource: true } : {}),
    ...(concurrency !== undefined ? { concurrency: Math.floor(concurrency) } : {}),
    ...(lockTimeout !== undefined ? { lockTimeout: Math.round(lockTimeout * 1000) } : {}),
  };
  return {
    kind: 'run',
    args: {
      options,
      ...(interval !== undefined ? { interval } : {}),
      ...(logFile !== undefined ? { logFile } : {}),
      json: v.json ?? false,
      verbose: v.verbose ?? false,
      quiet: v.quiet ?? false,
    },
  };
}
