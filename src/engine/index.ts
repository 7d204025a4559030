/** The engine's one door: faces import from here only. */
export { sync, runSync, makePlan, type RunHooks, type SyncResult } from './sync.js';
export {
  resolveOptions, resolveFaceOptions, optionsOf, OPTIONS, SYNC_OPTIONS, FACE_OPTIONS, MAX_TIMER_S,
  type SyncOptions, type ResolvedOptions, type HashAlgorithm, type Face, type OptionSpec, type CliSpelling,
} from './options.js';
export { badOption, type Kind } from './option-kinds.js';
export { AbsyncError, isAbsyncError, type RefusalCode } from './errors.js';
export { checkRelative, climbsOut, isInsideAbs, joinRel, parentOf } from './paths.js';
export { pseudoFileSystemSync, realpathLooseSync } from './roots.js';
export { counterOf, describeAction, moveOf, tagOf, type Counter, type Tag } from './action-kinds.js';
export { createFilter, type FilterRules, type PathFilter } from './scan/filter.js';
export { isTempName, LOCK_NAME, TMP_PREFIX } from './reserved.js';
export { mtimeOf } from './times.js';
export { localEngine } from './backends/choose.js';
export { isRemoteDestination, parseRemote, formatRemote, type RemoteSpec } from './remote-spec.js';
export type { TreeKind } from './backends/tree.js';
export type * from './types.js';
