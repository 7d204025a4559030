/**
 * The kinds of value an option can take, each with one check for the API (a value of the wrong type throws
 * `AbsyncError('E_OPTIONS')` naming the option) and one reading of command-line text (an error names the flag).
 * Both say what is allowed with the same words (`expects`), so every face words its errors alike.
 */
import { resolve } from 'node:path';
import { parseRemote } from './remote-spec.js';
import { AbsyncError } from './errors.js';

/** How one kind of option value is checked (API) and read from text (CLI). `In` is what a caller passes. */
export interface Kind<In, Out = In> {
  /** What is allowed, in words that fit "must be ..." and "takes ...": 'a whole number >= 1', 'true or false'. */
  readonly expects: string;
  /** The value's placeholder in --help and the README (`<n>`); absent for a flag that takes no value. */
  readonly arg?: string;
  /** On the command line, each use of the flag adds a value (globs). */
  readonly repeatable?: boolean;
  /** Validates an API value (never undefined: defaults are applied before). Throws E_OPTIONS naming `name`. */
  check(value: unknown, name: string): Out;
  /** Reads command-line text; undefined when the text is not allowed (the caller names the flag). */
  fromText?(text: string): In | undefined;
  /** Phantom: the type callers pass, for the option types derived from the table. */
  readonly input?: In;
}

/** Throws the one options error: `invalid option: <message>`. */
export function badOption(message: string, option?: string): never {
  // The API name of the option goes with it, for faces that word it their own way (the CLI names its flag).
  throw new AbsyncError('E_OPTIONS', `invalid option: ${message}`, undefined, option);
}

function mustBe(name: string, expects: string, value: unknown): never {
  // JSON.stringify says null for NaN and Infinity, and nothing for undefined or a symbol.
  const shown = typeof value === 'function' ? 'a function' : typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? String(value);
  badOption(`${name} must be ${expects}, got ${shown}`, name);
}

export function bool(): Kind<boolean> {
  return {
    expects: 'true or false',
    check(value, name) {
      if (typeof value !== 'boolean') mustBe(name, this.expects, value);
      return value;
    },
  };
}

/** A whole number >= min; Infinity is allowed where "no limit" makes sense (it is the default of maxDelete). */
export function whole(min: number): Kind<number> {
  return {
    expects: `a whole number >= ${min}`,
    arg: '<n>',
    check(value, name) {
      if (typeof value !== 'number' || Number.isNaN(value) || value < min || (Number.isFinite(value) && !Number.isInteger(value))) {
        mustBe(name, this.expects, value);
      }
      return value;
    },
    fromText: (text) => (/^\d+$/.test(text) && Number(text) >= min ? Number(text) : undefined),
  };
}

/** A finite number >= min (fractions allowed), in the unit the option names. */
export function amount(min: number, unit: string, arg = '<n>', max = Infinity, why = ''): Kind<number> {
  const within = (n: number): boolean => Number.isFinite(n) && n >= min && n <= max;
  return {
    expects: max === Infinity ? `a number of ${unit} >= ${min}` : `a number of ${unit} from ${min} to ${max}${why ? ` (${why})` : ''}`,
    arg,
    check(value, name) {
      if (typeof value !== 'number' || !within(value)) mustBe(name, this.expects, value);
      return value;
    },
    fromText: (text) => (/^\d+(\.\d+)?$/.test(text) && within(Number(text)) ? Number(text) : undefined),
  };
}

function listed(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

export function oneOf<const V extends string>(values: readonly V[]): Kind<V> {
  return {
    expects: listed(values),
    arg: '<name>',
    check(value, name) {
      if (typeof value !== 'string' || !values.includes(value as V)) mustBe(name, this.expects, value);
      return value as V;
    },
    fromText: (text) => (values.includes(text as V) ? (text as V) : undefined),
  };
}

/** Globs: one or a list. The CLI takes one per flag, and the flag may be repeated. */
export function globs(): Kind<string | readonly string[], readonly string[]> {
  return {
    expects: 'a glob or a list of globs',
    arg: '<glob>',
    repeatable: true,
    check(value, name) {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || list.some((g) => typeof g !== 'string' || g === '')) mustBe(name, this.expects, value);
      return Object.freeze([...(list as string[])]);
    },
    fromText: (text) => (text === '' ? undefined : text),
  };
}

/** A path, made absolute against the working folder. */
export function folder(arg = '<dir>'): Kind<string> {
  return {
    expects: 'a non-empty path',
    arg,
    check(value, name) {
      if (typeof value !== 'string' || value.trim() === '') mustBe(name, this.expects, value);
      return resolve(value);
    },
    fromText: (text) => (text.trim() === '' ? undefined : text),
  };
}

/**
 * A destination: a local path made absolute against the working folder, or a folder on another machine
 * (`user@host:/path`, `host:path`, `sftp://user@host:port/path`) kept as written; a malformed remote one is refused.
 */
export function destinationFolder(arg = '<dir>'): Kind<string> {
  return {
    expects: 'a non-empty path or user@host:/path',
    arg,
    check(value, name) {
      if (typeof value !== 'string' || value.trim() === '') mustBe(name, this.expects, value);
      return parseRemote(value) !== undefined ? value : resolve(value);
    },
    fromText: (text) => (text.trim() === '' ? undefined : text),
  };
}

/** A TCP port, 1-65535. */
export function port(): Kind<number> {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;
  return {
    expects: 'a port number from 1 to 65535',
    arg: '<n>',
    check(value, name) {
      if (typeof value !== 'number' || !ok(value)) mustBe(name, this.expects, value);
      return value;
    },
    fromText: (text) => (/^\d+$/.test(text) && ok(Number(text)) ? Number(text) : undefined),
  };
}

/** A path kept as given (a log file, a filter file): the face that uses it resolves and opens it. */
export function file(arg = '<file>'): Kind<string> {
  return {
    expects: 'a file path',
    arg,
    check(value, name) {
      if (typeof value !== 'string' || value.trim() === '') mustBe(name, this.expects, value);
      return value;
    },
    fromText: (text) => (text.trim() === '' ? undefined : text),
  };
}

/** A name of a file in the source root (no folder part), or false for none. */
export function fileNameOrFalse(): Kind<string | false> {
  return {
    expects: 'a file name in the source root, or false',
    arg: '<name>',
    check(value, name) {
      if (value === false) return false;
      if (typeof value !== 'string' || value === '' || value.includes('/') || value.includes('\\')) mustBe(name, this.expects, value);
      return value;
    },
    fromText: (text) => (text === '' || text.includes('/') || text.includes('\\') ? undefined : text),
  };
}

/** Non-empty text (a task's name). */
export function text(): Kind<string> {
  return {
    expects: 'a non-empty string',
    arg: '<text>',
    check(value, name) {
      if (typeof value !== 'string' || value === '') mustBe(name, this.expects, value);
      return value;
    },
    fromText: (t) => (t === '' ? undefined : t),
  };
}

/** A callback. */
export function callback<F extends (...args: never[]) => unknown>(): Kind<F> {
  return {
    expects: 'a function',
    check(value, name) {
      if (typeof value !== 'function') mustBe(name, this.expects, value);
      return value as F;
    },
  };
}

/** A callback, or false for none (a face's `log`). */
export function callbackOrFalse<F extends (...args: never[]) => unknown>(): Kind<F | false> {
  return {
    expects: 'a function or false',
    check(value, name) {
      if (value !== false && typeof value !== 'function') mustBe(name, this.expects, value);
      return value as F | false;
    },
  };
}

/** `{ '--flag': 'what it does' }`: a gulp task's flags, for `gulp --tasks`. */
export function flagTable(): Kind<Readonly<Record<string, string>>> {
  return {
    expects: 'an object of flag -> description strings',
    check(value, name) {
      const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
      if (!ok) mustBe(name, this.expects, value);
      return value as Readonly<Record<string, string>>;
    },
  };
}

/** A command-line switch with no API value (`--once`, rsync's `-a`): present or not. */
export function flag(): Kind<boolean> {
  return bool();
}
