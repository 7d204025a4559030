/** Content digests for the paths the planner asked about. Reads through reused buffers (no allocation per file). */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import pLimit from 'p-limit';
import type { HashAlgorithm } from './options.js';
import { toAbs } from './paths.js';
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

/**
 * Computes the digests asked for. A file that cannot be read is left without a digest, so the planner falls back
 * to copying it (and the copy reports the error) rather than trusting a guess.
 */
export async function computeDigests(
  needs: HashNeeds,
  source: Snapshot,
  destination: Snapshot,
  algorithm: HashAlgorithm,
): Promise<Digests> {
  const digests = new Map<RelPath, DigestPair>();
  if (needs.size === 0) return digests;
  const limit = pLimit(HASHERS);
  const tryHash = (snap: Snapshot, path: RelPath): Promise<string | undefined> =>
    limit(() => hashEntry(snap, path, algorithm).catch(() => undefined));
  await Promise.all(
    [...needs].map(async ([path, want]) => {
      const [s, d] = await Promise.all([
        want.source ? tryHash(source, path) : undefined,
        want.destination ? tryHash(destination, path) : undefined,
      ]);
      digests.set(path, { ...(s !== undefined ? { source: s } : {}), ...(d !== undefined ? { destination: d } : {}) });
    }),
  );
  return digests;
}
