/** Content digests for the paths the planner asked about. Reads through reused buffers (no allocation per file). */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import pLimit from 'p-limit';
import { nativeAddon } from './native.js';
import type { HashAlgorithm } from './options.js';
import { diskPathOf, toAbs } from './paths.js';
import type { HashNeeds } from './plan/hash-needs.js';
import type { ContentSource, DigestPair, Digests, RelPath, Snapshot } from './types.js';

const CHUNK = 1 << 20;
const HASHERS = 4;

const spare: Buffer[] = [];

/** Files up to this size are hashed with synchronous reads: for small files the thread pool's round trips cost more than the reads. */
const SMALL = 1 << 20;
const smallBuffer = Buffer.allocUnsafe(SMALL);

/** Hashes a small file synchronously; returns undefined if it turns out to be large (then read it in chunks). */
function hashSmall(path: string, algorithm: HashAlgorithm): string | undefined {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).size > SMALL) return undefined;
    const hash = createHash(algorithm);
    for (;;) {
      const n = readSync(fd, smallBuffer, 0, SMALL, null);
      if (n === 0) break;
      hash.update(smallBuffer.subarray(0, n));
    }
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}

async function hashPath(path: string, algorithm: HashAlgorithm): Promise<string> {
  const small = hashSmall(path, algorithm);
  if (small !== undefined) return small;
  const buffer = spare.pop() ?? Buffer.allocUnsafe(CHUNK);
  const hash = createHash(algorithm);
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
    spare.push(buffer);
  }
  return hash.digest('hex');
}

async function hashContent(content: ContentSource, algorithm: HashAlgorithm): Promise<string> {
  if (content.type === 'path') return hashPath(content.path, algorithm);
  if (content.type === 'buffer') return createHash(algorithm).update(content.data).digest('hex');
  const hash = createHash(algorithm);
  for await (const chunk of content.open()) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Hashes one file of a snapshot, from its content source if it has one. */
export function hashEntry(snapshot: Snapshot, path: RelPath, algorithm: HashAlgorithm): Promise<string> {
  const content = snapshot.contents?.get(path);
  return content ? hashContent(content, algorithm) : hashPath(toAbs(snapshot.root, path), algorithm);
}

/** Files per trip to the native addon (native/hash.c): enough to amortise the trip, small enough to spread. */
const NATIVE_BATCH = 64;

/**
 * Computes the digests asked for: files on disk through the native addon when it is there, a batch per trip to the
 * thread pool; the rest (vinyl contents, no addon) here. A file that cannot be read is left without a digest, so
 * the planner falls back to copying it (and the copy reports the error) rather than trusting a guess.
 */
export async function computeDigests(
  needs: HashNeeds,
  source: Snapshot,
  destination: Snapshot,
  algorithm: HashAlgorithm,
): Promise<Digests> {
  const digests = new Map<RelPath, DigestPair>();
  if (needs.size === 0) return digests;
  const native = nativeAddon();
  const limit = pLimit(HASHERS);
  const jobs: Promise<void>[] = [];
  type Slot = { pair: { source?: string; destination?: string }; side: 'source' | 'destination' };
  let batch: { abs: string[]; slots: Slot[] } = { abs: [], slots: [] };
  const flush = (): void => {
    if (batch.abs.length === 0) return;
    const { abs, slots } = batch;
    batch = { abs: [], slots: [] };
    jobs.push(
      (native as NonNullable<typeof native>).hash(abs, algorithm).then(
        (hex) => slots.forEach(({ pair, side }, k) => hex[k] !== undefined && (pair[side] = hex[k])),
        () => undefined,
      ),
    );
  };
  for (const [path, want] of needs) {
    const pair: { source?: string; destination?: string } = {};
    digests.set(path, pair);
    for (const side of ['source', 'destination'] as const) {
      if (!want[side]) continue;
      const snap = side === 'source' ? source : destination;
      const abs = native ? diskPathOf(snap, path) : undefined;
      if (abs !== undefined) {
        batch.abs.push(abs);
        batch.slots.push({ pair, side });
        if (batch.abs.length >= NATIVE_BATCH) flush();
      } else {
        jobs.push(limit(() => hashEntry(snap, path, algorithm)).then((hex) => void (pair[side] = hex), () => undefined));
      }
    }
  }
  flush();
  await Promise.all(jobs);
  return digests;
}
