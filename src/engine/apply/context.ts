/** What every apply step needs: where the trees are and how to reach the source's bytes. */
import { TMP_PREFIX } from '../reserved.js';
import type { Snapshot } from '../types.js';
import type { ParentGuard } from './safe-parent.js';

export interface ApplyContext {
  /** Absolute destination root. */
  readonly root: string;
  readonly source: Snapshot;
  readonly parents: ParentGuard;
  /** Absolute backup folder for deleted and overwritten entries, if any. */
  readonly backup?: string;
  /** The temporary names that staged moves went to, by slot. */
  readonly slots: Map<number, string>;
}

let counter = 0;
const tag = process.pid.toString(36);

/** A fresh temporary name, short so that it fits beside 255-byte names. */
export function tempName(): string {
  return `${TMP_PREFIX}${tag}.${(counter++).toString(36)}`;
}

/** A fresh temporary path for a file in folder `dirAbs`. */
export function tempNameIn(dirAbs: string): string {
  return `${dirAbs}/${tempName()}`;
}
