/** The engine's one door: faces import from here only. */
export { sync, runSync, makePlan, type RunHooks, type SyncResult } from './sync.js';
export { resolveOptions, type SyncOptions, type ResolvedOptions, type HashAlgorithm } from './options.js';
export { AbsyncError, isAbsyncError, type RefusalCode } from './errors.js';
export { checkRelative, isInsideAbs, joinRel, parentOf } from './paths.js';
export { counterOf, describeAction, moveOf, tagOf, type Counter, type Tag } from './action-kinds.js';
export { createFilter, type FilterRules, type PathFilter } from './scan/filter.js';
export { isTempName, LOCK_NAME, TMP_PREFIX } from './reserved.js';
export { mtimeOf } from './times.js';
export { localEngine } from './backends/choose.js';
export type { TreeKind } from './backends/tree.js';
export type * from './types.js';
