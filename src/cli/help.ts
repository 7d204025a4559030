/** `absync --help`, made from the options table: every flag of every group, aligned, then the environment and exit codes. */
import { OPTIONS, type CliSpelling, type Kind, type OptionSpec } from '../engine/index.js';
import { ENVIRONMENT, EXIT_CODES } from './exit-codes.js';

const GROUPS: readonly (readonly [NonNullable<CliSpelling['group']>, string])[] = [
  ['compare', 'comparing'],
  ['filter', 'filters'],
  ['delete', 'deleting'],
  ['run', 'running'],
  ['remote', 'remote destinations (user@host:/path)'],
  ['output', 'output'],
];

/** One line of the flags' tables: the spelling (`-n, --dry-run`, `--max-delete <n>`), the default, the doc. */
export interface FlagRow {
  readonly spelling: string;
  readonly defaultText: string;
  /** True when the default is a value (`32`, `md5`), false when it is words (`no limit`). */
  readonly literal: boolean;
  readonly doc: string;
  readonly group: NonNullable<CliSpelling['group']>;
}

function cliKind(spec: OptionSpec): Kind<unknown, unknown> {
  return (spec.cli?.kind ?? spec.kind) as Kind<unknown, unknown>;
}

/** How a default reads on the command line: '' when there is nothing to say (off, none). */
function defaultOf(spec: OptionSpec): { text: string; literal: boolean } {
  const cli = spec.cli as CliSpelling;
  const words = (text: string): { text: string; literal: boolean } => ({ text: text === 'off' || text === 'none' ? '' : text, literal: false });
  if (cli.defaultText !== undefined) return words(cli.defaultText);
  const value = cli.default ?? spec.default;
  if (typeof value === 'boolean') return words('');
  if (spec.defaultText !== undefined) return words(spec.defaultText);
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return words('');
  const scaled = typeof value === 'number' && cli.scale ? value / cli.scale : value;
  return { text: String(scaled), literal: true };
}

/** Every flag the CLI takes, in table order, with the negations on their own rows (rsync spellings left out). */
export function flagRows(): FlagRow[] {
  const rows: FlagRow[] = [];
  for (const spec of Object.values(OPTIONS)) {
    const cli = spec.cli;
    if (!cli || !cli.flag || !spec.faces.includes('cli') || cli.silent || !cli.group) continue;
    const arg = cliKind(spec).arg;
    const doc = cli.doc ?? spec.doc;
    const negated = cli.negate !== undefined && spec.default === true;
    // A boolean that is on by default is shown by its negation; its plain spelling is an accepted rsync habit.
    if (!negated) {
      const names = `${cli.short ? `-${cli.short}, ` : '    '}${[cli.flag, ...(cli.aliases ?? [])].join(', ')}`;
      const d = defaultOf(spec);
      rows.push({ spelling: `${names}${arg && cliKind(spec).fromText ? ` ${arg}` : ''}`, defaultText: d.text, literal: d.literal, doc, group: cli.group });
    }
    if (cli.negate) rows.push({ spelling: `    ${cli.negate}`, defaultText: '', literal: false, doc: cli.negateDoc ?? `not ${doc}`, group: cli.group });
  }
  // By group, in --help's order; within a group, in the table's.
  const order = GROUPS.map(([g]) => g);
  return rows.map((r, i) => [r, i] as const).sort(([a, i], [b, j]) => order.indexOf(a.group) - order.indexOf(b.group) || i - j).map(([r]) => r);
}

/** The spellings accepted and ignored because absync always does what they ask (rsync's -a and friends). */
export function acceptedSpellings(): string[] {
  const out: string[] = [];
  for (const spec of Object.values(OPTIONS)) {
    const cli = spec.cli;
    if (!cli || !spec.faces.includes('cli')) continue;
    if (cli.silent || (cli.negate && spec.default === true)) out.push(...[cli.short ? `-${cli.short}` : '', cli.flag ?? ''].filter(Boolean));
  }
  return out;
}

const WIDTH = 110;

/** Text wrapped to the help's width, continuation lines indented under the first. */
function wrap(text: string, indent: number): string {
  const room = Math.max(30, WIDTH - indent);
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  out.push(line);
  return out.join(`\n${' '.repeat(indent)}`);
}

function aligned(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}${wrap(b, indent.length + width)}`);
}

export function usage(): string {
  const rows = flagRows();
  const lines = [
    'usage: absync <source> <destination> [interval-seconds] [logfile] [options]',
    '',
    'Makes <destination> an exact mirror of <source> (like rsync -a --delete): copies what is missing or',
    'different, deletes what the source no longer has, keeps permission bits, mtimes, symlinks and empty folders.',
    'With an interval, syncs now and then every N seconds until SIGINT or SIGTERM; with a logfile, appends to it.',
    '<destination> is created if missing; its parent folder must exist (or --mkpath).',
  ];
  const width = Math.max(...rows.map((r) => r.spelling.length));
  for (const [group, title] of GROUPS) {
    lines.push('', `${title}:`);
    const mine = rows.filter((x) => x.group === group).map((r) => [r.spelling.padEnd(width), `${r.doc}${r.defaultText ? `; default ${r.defaultText}` : ''}`] as const);
    lines.push(...aligned(mine));
  }
  lines.push('', `accepted and ignored (absync always does this): ${acceptedSpellings().join(' ')}`);
  lines.push('', 'environment:', ...aligned(ENVIRONMENT));
  lines.push('', 'exit codes:', ...aligned(EXIT_CODES.map(([c, m]) => [c, m.replace(/`/g, '')] as const)));
  return lines.join('\n');
}
