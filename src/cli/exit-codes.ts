/** The CLI's exit codes and environment variables: what --help and the README say, and what cli.ts returns. */

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_REFUSED = 2;

/** Each exit code with its meaning, for --help and the README. */
export const EXIT_CODES: readonly (readonly [code: string, meaning: string])[] = [
  ['0', 'the destination is an exact mirror (special files in the source, skipped with a warning, aside); interval mode stopped by a signal'],
  ['1', 'the run finished, but some entries failed; each is listed on stderr as `absync: failed: <path>: <op>: <cause>`'],
  ['2', 'bad input or refused (missing source, nested folders, lock held, `--max-delete` exceeded...): nothing changed'],
  ['130, 143, 129', 'a single run stopped by SIGINT, SIGTERM or SIGHUP (SIGBREAK on Windows: 149): it stopped between two actions and left no temporary file or lock'],
];

/** The environment variables the CLI reads. */
export const ENVIRONMENT: readonly (readonly [name: string, meaning: string])[] = [
  ['ABSYNC_TRACE=1', 'print on stderr which engine runs and when each phase of a run ended'],
  ['ABSYNC_NO_NATIVE=1', 'use the JavaScript engine even where the native addon is built'],
  ['ABSYNC_DEBUG=1', 'print the stack of an internal error'],
];
