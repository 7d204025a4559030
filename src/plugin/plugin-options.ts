/** The plugin's options: the engine's SyncOptions minus source and destination, plus what only the plugin does. */
import { resolveOptions, type ResolvedOptions, type SyncOptions } from '../engine/index.js';

export interface PluginOptions extends Omit<SyncOptions, 'source' | 'destination'> {
  /** Pass on only the files that were copied, updated or moved (for a deploy step). Default false: all files. */
  changedOnly?: boolean;
  /**
   * The stream is the whole source: delete every destination entry it did not carry, even one whose source file
   * still exists under the stream's base (a filtered stream into a folder that must hold only what it carries).
   * Default false: such entries are kept, so that an incremental stream (`since: gulp.lastRun(task)`) never
   * deletes what merely did not change.
   */
  onlyStreamed?: boolean;
}

export interface ResolvedPluginOptions {
  readonly sync: ResolvedOptions;
  readonly changedOnly: boolean;
  readonly onlyStreamed: boolean;
}

function flag(input: Record<string, unknown>, name: string): boolean {
  const value = input[name] ?? false;
  if (typeof value !== 'boolean') throw new TypeError(`absync(dest, options): ${name} must be true or false, got ${JSON.stringify(value)}`);
  delete input[name];
  return value;
}

/** Throws on a bad destination or option, naming it. */
export function resolvePluginOptions(destination: unknown, options: PluginOptions | undefined): ResolvedPluginOptions {
  if (typeof destination !== 'string' || destination.trim() === '') {
    throw new TypeError(`absync(dest): dest must be a non-empty folder path, got ${JSON.stringify(destination)}`);
  }
  const input: Record<string, unknown> = options === undefined ? {} : { ...options };
  if (typeof options !== 'object' || options === null) {
    if (options !== undefined) throw new TypeError('absync(dest, options): options must be an object');
  }
  for (const key of ['source', 'destination']) {
    if (key in input) throw new TypeError(`absync(dest, options): "${key}" is not a plugin option (the stream is the source, dest the destination)`);
  }
  const changedOnly = flag(input, 'changedOnly');
  const onlyStreamed = flag(input, 'onlyStreamed');
  return { sync: resolveOptions({ ...(input as SyncOptions), destination }, false), changedOnly, onlyStreamed };
}
