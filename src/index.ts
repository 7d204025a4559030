/** gulp-absync's public face: the gulp plugin, the task factory, the watch wrapper and the engine's one-shot sync. */
import { absync } from './plugin/plugin.js';

export { absync };
export default absync;
export { absyncTask, SyncFailedError, type AbsyncTask, type TaskOptions } from './task/task.js';
export { absyncWatch, type WatchHandle, type WatchOptions, type WatchRun } from './watch/watch.js';
export type { PluginOptions } from './plugin/plugin-options.js';
export type { FileAction, FileReport, VinylFile } from './plugin/vinyl-file.js';
export { sync, AbsyncError, type SyncOptions, type HashAlgorithm, type RefusalCode, type Summary, type Failure, type Skip } from './engine/index.js';
