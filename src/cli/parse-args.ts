/**
 * `absync <source> <destination> [interval-seconds] [logfile] [options]` parsed into engine options, from the options
 * table: every flag, its value's kind and its error wording come from src/engine/options.ts. Node's parseArgs splits
 * the words (short groups like `-avn`, `--flag=value`, `--`); the checks and messages are ours, and each names the
 * flag as the user typed it.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OPTIONS, type CliSpelling, type Kind, type OptionSpec, type SyncOptions } from '../engine/index.js';
import { rsyncRefusal } from './rsync-flags.js';

/** What the command line asked for. */
export interface CliArgs {
  /** The engine's options (the CLI's defaults applied: mkpath false). */
  readonly options: SyncOptions;
  /** Seconds between runs; undefined for a single run. */
  readonly interval?: number;
  readonly logFile?: string;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly itemize: boolean;
  readonly quiet: boolean;
  readonly progress: boolean;
  readonly stats: boolean;
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; args: CliArgs };

/** Bad command-line input: one line naming the flag as typed. `json` says whether --json was asked for. */
export class UsageError extends Error {
  constructor(message: string, readonly json = false) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One spelling of an option on the command line. */
interface Spelling {
  readonly name: string;
  readonly spec: OptionSpec;
  readonly cli: CliSpelling;
  /** True for `--no-x`. */
  readonly negated: boolean;
}

/** Every spelling (`--dry-run`, `-n`, `--no-delete`, `--itemize-changes`) to its option, from the table. */
function spellings(): Map<string, Spelling> {
  const map = new Map<string, Spelling>();
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const cli = spec.cli;
    if (!cli || !spec.faces.includes('cli')) continue;
    const add = (raw: string, negated: boolean): void => void map.set(raw, { name, spec, cli, negated });
    if (cli.flag) add(cli.flag, false);
    if (cli.short) add(`-${cli.short}`, false);
    for (const a of cli.aliases ?? []) add(a, false);
    if (cli.negate) add(cli.negate, true);
  }
  return map;
}

const SPELLINGS = spellings();

/** The kind the command line's text is read with (seconds for lockTimeout). */
function cliKind(s: Spelling): Kind<unknown, unknown> {
  return (s.cli.kind ?? s.spec.kind) as Kind<unknown, unknown>;
}

function takesValue(s: Spelling): boolean {
  return !s.negated && cliKind(s).arg !== undefined && cliKind(s).fromText !== undefined;
}

/** parseArgs' configuration: every long and short spelling, string or boolean by whether it takes a value. */
function parseConfig(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [raw, s] of SPELLINGS) config[raw.replace(/^--?/, '')] = takesValue(s) ? { type: 'string', multiple: true } : { type: 'boolean' };
  return config;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j] as number;
      row[j] = Math.min(here + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length] as number;
}

function unknownFlag(raw: string): string {
  const why = rsyncRefusal(raw);
  if (why !== undefined) return `${raw} is not supported: ${why}`;
  const near = [...SPELLINGS.keys()].filter((k) => k.startsWith('--') && raw.startsWith('--') && distance(k, raw) <= 2);
  return `unknown option ${raw}${near.length > 0 ? ` (did you mean ${near.slice(0, 2).join(' or ')}?)` : ''}`;
}

/** Larger than any list of globs a person writes; a bigger file is refused rather than read into memory. */
const MAX_GLOB_FILE = 4 << 20;

/**
 * A file's text, read only if it is a regular file: opened without blocking, so a FIFO nobody writes to (or a device)
 * is refused at once instead of holding the run for ever (before any signal handler can run: reads here are sync).
 */
function readRegularFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const what = st.isFIFO() ? 'a FIFO or pipe' : st.isDirectory() ? 'a folder' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
      throw new UsageError(`it is ${what}; it must be a regular file`);
    }
    if (st.size > MAX_GLOB_FILE) throw new UsageError(`it is larger than ${MAX_GLOB_FILE} bytes`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Globs from an --exclude-from / --include-from file: one per line; blank lines and `#` or `;` comments skipped. */
function globsFrom(path: string, raw: string, fail: (message: string) => never): string[] {
  let text: string;
  try {
    text = readRegularFile(path);
  } catch (err) {
    if (err instanceof UsageError) return fail(`${raw} ${path}: ${err.message}`);
    return fail(`${raw} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '' && !/^[#;]/.test(l));
}

type Values = Map<string, { value: unknown; raw: string }>;

/** Reads the option words into API values (the last of a repeated flag wins; globs add up). */
function readOptions(tokens: NonNullable<ReturnType<typeof parseArgs>['tokens']>, json: boolean): { values: Values; positionals: string[] } {
  const values: Values = new Map();
  const positionals: string[] = [];
  const fail = (message: string): never => {
    throw new UsageError(message, json);
  };
  for (const t of tokens) {
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue;
    const s = SPELLINGS.get(t.rawName);
    if (!s) fail(unknownFlag(t.rawName));
    const spelling = s as Spelling;
    if (spelling.cli.silent) continue;
    if (!takesValue(spelling)) {
      if (t.inlineValue) fail(`${t.rawName} takes no value, got "${t.value ?? ''}"`);
      values.set(spelling.name, { value: !spelling.negated, raw: t.rawName });
      continue;
    }
    const kind = cliKind(spelling);
    if (t.value === undefined) fail(`${t.rawName} needs a value: ${kind.expects}`);
    const text = t.value as string;
    const value = kind.fromText?.(text);
    if (value === undefined) fail(`${t.rawName} takes ${kind.expects}, got "${text}"`);
    const scaled = spelling.cli.scale !== undefined ? Math.round((value as number) * spelling.cli.scale) : value;
    const before = values.get(spelling.name)?.value;
    const isList = spelling.spec.kind.repeatable === true;
    values.set(spelling.name, { value: isList ? [...((before as string[] | undefined) ?? []), scaled] : scaled, raw: t.rawName });
  }
  return { values, positionals };
}

function readPositionals(positionals: readonly string[], values: Values, fail: (m: string) => never): { interval?: number; logFile?: string } {
  if (positionals.length === 0) fail('missing <source> and <destination>');
  if (positionals.length === 1) fail(`missing <destination> after <source> ${positionals[0]}`);
  if (positionals.length > 4) fail(`too many arguments: ${positionals.slice(4).join(' ')} (at most <source> <destination> [interval-seconds] [logfile])`);
  const [source, destination, third, fourth] = positionals as [string, string, string?, string?];
  if (source === '' || destination === '') fail('<source> and <destination> must not be empty');
  values.set('source', { value: source, raw: '<source>' });
  values.set('destination', { value: destination, raw: '<destination>' });
  // `absync src dst run.log` is a single run with a log: a third word that is not a number is the logfile.
  const thirdIsLog = third !== undefined && fourth === undefined && !/^\d/.test(third);
  let interval: number | undefined;
  if (third !== undefined && !thirdIsLog) {
    interval = (OPTIONS.interval?.kind as Kind<number>).fromText?.(third);
    if (interval === undefined) fail(`[interval-seconds] takes ${(OPTIONS.interval?.kind as Kind<number>).expects}, got "${third}"`);
  }
  const logFile = thirdIsLog ? third : fourth;
  const flagged = values.get('logFile');
  if (logFile !== undefined && flagged !== undefined) fail(`two log files: ${logFile} and ${flagged.raw} ${String(flagged.value)}`);
  const log = logFile ?? (flagged?.value as string | undefined);
  return { ...(interval !== undefined ? { interval } : {}), ...(log !== undefined ? { logFile: log } : {}) };
}

export function parseCli(argv: readonly string[]): Parsed {
  const { tokens } = parseArgs({ args: [...argv], allowPositionals: true, strict: false, tokens: true, options: parseConfig() });
  const asked = (name: string): boolean => tokens.some((t) => t.kind === 'option' && SPELLINGS.get(t.rawName)?.name === name);
  // Help and version win over anything else on the line, even a mistake.
  if (asked('help')) return { kind: 'help' };
  if (asked('version')) return { kind: 'version' };
  const json = asked('json');
  const { values, positionals } = readOptions(tokens, json);
  const on = (name: string): boolean => values.get(name)?.value === true;
  const fail = (message: string): never => {
    throw new UsageError(message, json);
  };
  const { interval, logFile } = readPositionals(positionals, values, fail);
  for (const [from, into] of [['excludeFrom', 'exclude'], ['includeFrom', 'include']] as const) {
    const f = values.get(from);
    if (!f) continue;
    const extra = globsFrom(f.value as string, f.raw, fail);
    values.set(into, { value: [...((values.get(into)?.value as string[] | undefined) ?? []), ...extra], raw: f.raw });
  }
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(OPTIONS)) {
    if (!spec.faces.includes('library') || !spec.faces.includes('cli')) continue;
    const given = values.get(name);
    if (given !== undefined) options[name] = given.value;
    else if (spec.cli?.default !== undefined) options[name] = spec.cli.default;
  }
  return {
    kind: 'run',
    args: {
      options: options as SyncOptions,
      ...(interval !== undefined && interval > 0 && !on('once') ? { interval } : {}),
      ...(logFile !== undefined ? { logFile } : {}),
      json,
      verbose: on('verbose'),
      itemize: on('itemize'),
      quiet: on('quiet'),
      progress: on('progress'),
      stats: on('stats'),
    },
  };
}

/** The flag a user would type for an API option name (`maxDelete` -> `--max-delete`), if the CLI has one. */
export function flagOf(name: string): string | undefined {
  return OPTIONS[name]?.cli?.flag;
}
