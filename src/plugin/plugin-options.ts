/** The plugin's options: the engine's SyncOptions minus source and destination, plus what only the plugin does. */
import { badOption, resolveFaceOptions, resolveOptions, type ResolvedOptions, type SyncOptions } from '../engine/index.js';

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

/** Throws on a bad destination or option, naming it. */
export function resolvePluginOptions(destination: unknown, options: PluginOptions | undefined): ResolvedPluginOptions {
  if (typeof destination !== 'string' || destination.trim() === '') {
    badOption(`absync(dest): dest must be a non-empty folder path, got ${JSON.stringify(destination)}`, 'destination');
  }
  const input: Record<string, unknown> = options === undefined ? {} : { ...options };
  if (typeof options !== 'object' || options === null) {
    if (options !== undefined) badOption('absync(dest, options): options must be an object');
  }
  for (const key of ['source', 'destination']) {
    if (key in input) badOption(`absync(dest, options): "${key}" is not a plugin option (the stream is the source, dest the destination)`, key);
  }
  // The plugin's own options are checked by the one options table, as the engine's are.
  const { own, rest } = resolveFaceOptions('plugin', input);
  const sync = resolveOptions({ ...(rest as SyncOptions), destination }, false);
  return { sync, changedOnly: own['changedOnly'] === true, onlyStreamed: own['onlyStreamed'] === true };
}
