/** The plugin's options: the engine's SyncOptions minus source and destination, plus what only the plugin does. */
import { resolveOptions, type ResolvedOptions, type SyncOptions } from '../engine/index.js';

export interface PluginOptions extends Omit<SyncOptions, 'source' | 'destination'> {
  /** Pass on only the files that were copied, updated or moved (for a deploy step). Default false: all files. */
  changedOnly?: boolean;
}

export interface ResolvedPluginOptions {
  readonly sync: ResolvedOptions;
  readonly changedOnly: boolean;
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
  const changedOnly = input.changedOnly ?? false;
  if (typeof changedOnly !== 'boolean') throw new TypeError(`absync(dest, options): changedOnly must be true or false, got ${JSON.stringify(changedOnly)}`);
  delete input.changedOnly;
  return { sync: resolveOptions({ ...(input as SyncOptions), destination }, false), changedOnly };
}
