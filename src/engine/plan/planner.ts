/**
 * The planner's modules as one dynamic import (sync.ts loads it while the scan runs): one bundle chunk to read and
 * compile at start instead of three.
 */
export { hashNeeds } from './hash-needs.js';
export { planMirror } from './plan-mirror.js';
export { guardPlan } from './guards.js';
export { omitUnchanged } from './omit-unchanged.js';
