/** The shape of one row of the options table (options.ts): what an option is, on each face that takes it. */
import type { Kind } from './option-kinds.js';

/** Who takes an option: the `absync` command, `sync()`, the gulp plugin, `absyncTask`, `absyncWatch`. */
export type Face = 'cli' | 'library' | 'plugin' | 'task' | 'watch';

/** How an option appears on the command line. */
export interface CliSpelling {
  /** The long flag, `--max-delete`; absent for an option given only as a positional argument. */
  readonly flag?: string;
  /** A one-letter alias, `n` for `-n`. */
  readonly short?: string;
  /** Other long spellings that mean the same (rsync's): `--itemize-changes`. */
  readonly aliases?: readonly string[];
  /** The flag that sets a boolean to false (`--no-delete`), and its line in --help. */
  readonly negate?: string;
  readonly negateDoc?: string;
  /** API value = CLI value x scale (lockTimeout: seconds on the command line, milliseconds in the API). */
  readonly scale?: number;
  /** How the command line's text is read, when not as the API's value (seconds for lockTimeout). */
  readonly kind?: Kind<number>;
  /** The CLI's own default when it differs from the API's (mkpath: false, like rsync). */
  readonly default?: unknown;
  /** The doc line for --help when the API's would mislead (units, the CLI's default). */
  readonly doc?: string;
  /** How the default reads in --help, when it differs from the API's. */
  readonly defaultText?: string;
  /** Taken from a positional argument instead of (or as well as) the flag. */
  readonly positional?: string;
  /** Listed in --help under this heading. */
  readonly group?: 'compare' | 'filter' | 'delete' | 'run' | 'remote' | 'output' | 'rsync';
  /** Accepted and ignored (rsync spellings of what absync always does); listed in one --help line. */
  readonly silent?: boolean;
}

/** One row of the table. */
export interface OptionSpec<In = unknown, Out = unknown> {
  readonly kind: Kind<In, Out>;
  /** The value when the option is not given; undefined means "none" (or, for modifyWindow, the platform's). */
  readonly default: NoInfer<Out> | undefined;
  /** How the default reads in docs when its value would not say it (`no limit`, `fancy-log`). */
  readonly defaultText?: string;
  /** One line for --help and the README. */
  readonly doc: string;
  /** The line for one face where the general one would mislead (the plugin's stream is its source). */
  readonly docs?: Partial<Record<Face, string>>;
  readonly faces: readonly Face[];
  readonly cli?: CliSpelling;
}

export function option<In, Out>(spec: OptionSpec<In, Out>): OptionSpec<In, Out> {
  return Object.freeze(spec);
}
