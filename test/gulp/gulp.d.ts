/** The part of gulp 5's API the tests use (gulp ships no types, and @types/gulp describes gulp 4). */
declare module 'gulp' {
  import type { Readable } from 'node:stream';

  interface SrcOptions {
    read?: boolean;
    buffer?: boolean;
    encoding?: string | false;
    removeBOM?: boolean;
    dot?: boolean;
    base?: string;
    cwd?: string;
    resolveSymlinks?: boolean;
  }
  type TaskFunction = ((done: (err?: unknown) => void) => unknown) & { displayName?: string; description?: string };

  const gulp: {
    src(globs: string | string[], options?: SrcOptions): Readable;
    series(...tasks: TaskFunction[]): TaskFunction;
    parallel(...tasks: TaskFunction[]): TaskFunction;
    on(event: 'error' | 'start' | 'stop', listener: (event: unknown) => void): void;
  };
  export default gulp;
}
