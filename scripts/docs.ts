/**
 * `npm run docs`: writes the README's option tables from the options table (src/engine/options.ts), the CLI's
 * --help rows, exit codes and environment. Each table sits between `<!-- options:NAME -->` and
 * `<!-- /options:NAME -->`. `--check` changes nothing and exits 1 (naming the tables) when the README disagrees.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { optionsOf, type Face, type OptionSpec } from '../src/engine/index.js';
import { ENVIRONMENT, EXIT_CODES } from '../src/cli/exit-codes.js';
import { acceptedSpellings, flagRows } from '../src/cli/help.js';

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function code(s: string): string {
  return `\`${s}\``;
}

/** An API default as the README writes it: `false`, `32`, `'md5'`, or the table's words (no limit, fancy-log). */
function apiDefault(spec: OptionSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  const v = spec.default;
  if (v === undefined) return 'none';
  if (typeof v === 'string') return code(`'${v}'`);
  if (Array.isArray(v)) return v.length === 0 ? 'none' : code(JSON.stringify(v));
  return code(String(v));
}

function cliTable(): string {
  const rows = flagRows().map((r) => [code(r.spelling.trim().replace(/, /g, '`, `')), r.literal ? code(r.defaultText) : r.defaultText, r.doc]);
  const accepted = `Accepted and ignored, as absync always does what they ask: ${acceptedSpellings().map(code).join(', ')}.`;
  return `${table(['option', 'default', 'meaning'], rows)}\n\n${accepted}`;
}

/** A face's own options first, then (for the gulp faces) the engine's or a pointer to them. */
function faceTable(face: Face): string {
  const own = optionsOf(face).filter(([, s]) => !s.faces.includes('library'));
  const shared = optionsOf(face).filter(([name, s]) => s.faces.includes('library') && name !== 'source' && name !== 'destination');
  const rows: string[][] = [];
  if (face !== 'plugin') rows.push([`${code('source')}, ${code('destination')}`, 'required', 'the folders']);
  const doc = (spec: OptionSpec): string => spec.docs?.[face] ?? spec.doc;
  for (const [name, spec] of own) rows.push([code(name), apiDefault(spec), doc(spec)]);
  if (face === 'plugin' || face === 'library') for (const [name, spec] of shared) rows.push([code(name), apiDefault(spec), doc(spec)]);
  else rows.push(['every other option', '', 'as the plugin\'s table above']);
  return table(['option', 'default', 'meaning'], rows);
}

const TABLES: Record<string, () => string> = {
  cli: cliTable,
  'exit-codes': () => table(['exit code', 'meaning'], EXIT_CODES.map(([c, m]) => [c, m])),
  environment: () => table(['variable', 'meaning'], ENVIRONMENT.map(([n, m]) => [code(n), m])),
  library: () => faceTable('library'),
  plugin: () => faceTable('plugin'),
  task: () => faceTable('task'),
  watch: () => faceTable('watch'),
};

/** The README with every marked table made anew; `stale` names the tables that changed. */
export function renderReadme(text: string): { text: string; stale: string[]; missing: string[] } {
  const stale: string[] = [];
  const missing: string[] = [];
  let out = text;
  for (const [name, make] of Object.entries(TABLES)) {
    const open = `<!-- options:${name} -->`;
    const close = `<!-- /options:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) {
      missing.push(name);
      continue;
    }
    const fresh = `${open}\n${make()}\n${close}`;
    const old = out.slice(start, end + close.length);
    if (old !== fresh) stale.push(name);
    out = out.slice(0, start) + fresh + out.slice(end + close.length);
  }
  return { text: out, stale, missing };
}

function main(): void {
  const check = process.argv.includes('--check');
  const { text, stale, missing } = renderReadme(readFileSync(README, 'utf8'));
  if (missing.length > 0) {
    process.stderr.write(`docs: README.md has no markers for: ${missing.join(', ')}\n`);
    process.exitCode = 1;
  } else if (check) {
    if (stale.length > 0) {
      process.stderr.write(`docs: README.md tables differ from the options table: ${stale.join(', ')} (npm run docs writes them)\n`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(README, text);
    process.stdout.write(stale.length > 0 ? `docs: wrote ${stale.join(', ')}\n` : 'docs: README.md tables are up to date\n');
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) main();
