/**
 * Refusals in the CLI's words. The engine's messages name options as the API spells them (`maxDelete`), and an
 * AbsyncError may say which option it is about (`option`); on the command line the user typed a flag
 * (`--max-delete`), so that is what the message names. Paths in the message are left exactly as they are.
 */
import { OPTIONS, type AbsyncError } from '../engine/index.js';

/** API name -> flag, for the names that cannot be mistaken for plain words (camelCase ones, mkpath). */
const FLAGS: ReadonlyMap<string, string> = new Map(
  Object.entries(OPTIONS).flatMap(([name, spec]) => (spec.cli?.flag && (/[A-Z]/.test(name) || name === 'mkpath') ? [[name, spec.cli.flag] as const] : [])),
);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The message with option names replaced by their flags (outside the error's path). */
export function cliMessage(err: AbsyncError): string {
  // `maxDelete: 50` -> `--max-delete 50`, `allowEmptySource: true` -> `--allow-empty-source`, `mkpath` -> `--mkpath`.
  const pattern = new RegExp(`(?<![\\w-])(${[...FLAGS.keys()].map(escape).join('|')})(?![\\w-])(: true\\b|: (?=\\S))?`, 'g');
  const rename = (part: string): string =>
    part.replace(pattern, (_all, name: string, value?: string) => `${FLAGS.get(name) ?? name}${value === ': ' ? ' ' : ''}`);
  let message = err.path ? err.message.split(err.path).map(rename).join(err.path) : rename(err.message);
  // An options error names its option first; a plain-word one (`concurrency`) is replaced there only.
  const option = err.option;
  const flag = typeof option === 'string' ? OPTIONS[option]?.cli?.flag : undefined;
  if (flag && message.startsWith(`invalid option: ${option} `)) message = message.replace(`: ${option} `, `: ${flag} `);
  return message;
}
