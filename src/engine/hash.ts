/**
 * Content digests for the paths the planner asked about: files of a tree through the tree (the native one hashes a
 * batch per trip to the thread pool, opening each file below the root; a vinyl file on disk by its own path), vinyl
 * buffers here. A file that cannot be
 * read is left without a digest, so the planner falls back to copying it (and the copy reports the error) rather than
 * trusting a guess.
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { HashTarget, Tree } from './backends/tree.js';
import type { HashAlgorithm } from './options.js';
import type { HashNeeds } from './plan/hash-needs.js';
import type { DigestPair, Digests, RelPath, Snapshot } from './types.js';

/** Files per tree call: enough to amortise a trip, small enough to spread over both cores. */
const BATCH = 64;
const AT_ONCE = 4;

export async function computeDigests(
  needs: HashNeeds,
  source: { readonly snapshot: Snapshot; readonly tree: Tree },
  destination: { readonly snapshot: Snapshot; readonly tree: Tree },
  algorithm: HashAlgorithm,
): Promise<Digests> {
  const digests = new Map<RelPath, DigestPair>();
  if (needs.size === 0) return digests;
  // One limit per side: a remote tree's slow calls must not hold the local tree's back, nor the other way round.
  const limits = { source: pLimit(AT_ONCE), destination: pLimit(AT_ONCE) };
  const batchOf = { source: source.tree.hashBatch ?? BATCH, destination: destination.tree.hashBatch ?? BATCH };
  const jobs: Promise<void>[] = [];
  type Slot = { pair: { source?: string; destination?: string }; side: 'source' | 'destination' };
  const batches = { source: { paths: [] as HashTarget[], slots: [] as Slot[] }, destination: { paths: [] as HashTarget[], slots: [] as Slot[] } };
  const flush = (side: 'source' | 'destination'): void => {
    const b = batches[side];
    if (b.paths.length === 0) return;
    const { paths, slots } = b;
    batches[side] = { paths: [], slots: [] };
    const tree = side === 'source' ? source.tree : destination.tree;
    jobs.push(limits[side](() => tree.hash(paths, algorithm)).then(
      (hex) => slots.forEach(({ pair, side: s }, k) => hex[k] !== undefined && (pair[s] = hex[k])),
      () => undefined,
    ));
  };
  for (const [path, want] of needs) {
    const pair: { source?: string; destination?: string } = {};
    digests.set(path, pair);
    for (const side of ['source', 'destination'] as const) {
      if (!want[side]) continue;
      const content = (side === 'source' ? source : destination).snapshot.contents?.get(path);
      if (content?.type === 'buffer') pair[side] = createHash(algorithm).update(content.data).digest('hex');
      else {
        batches[side].paths.push(content?.type === 'path' ? { file: content.path } : path);
        batches[side].slots.push({ pair, side });
        if (batches[side].paths.length >= batchOf[side]) flush(side);
      }
    }
  }
  flush('source');
  flush('destination');
  await Promise.all(jobs);
  return digests;
}
