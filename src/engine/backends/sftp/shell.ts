/** Remote commands: the account's login shell runs them, so every word from outside is single-quoted. */

/** `text` as one POSIX shell word. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
