/**
 * Seeded randomness: a small PRNG for choices (sizes, names, which files to touch) and an AES-CTR keystream for
 * file contents (incompressible, fast, and the same bytes for the same seed on every machine).
 */
import { createCipheriv, createHash } from 'node:crypto';

/** Returns a function yielding floats in [0, 1), mulberry32, seeded from a string. */
export function prng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max]. */
export function intIn(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/** Picks `count` distinct items from `items` (partial Fisher-Yates on a copy). */
export function pickSome<T>(rand: () => number, items: readonly T[], count: number): T[] {
  const copy = items.slice();
  const n = Math.min(count, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (copy.length - i));
    const t = copy[i] as T;
    copy[i] = copy[j] as T;
    copy[j] = t;
  }
  return copy.slice(0, n);
}

/** A deterministic keystream: `next(n)` returns the next n pseudo-random bytes (AES-128-CTR over zeros). */
export class Keystream {
  private readonly cipher;
  private zeros = Buffer.alloc(0);

  constructor(seed: string) {
    const d = createHash('sha256').update(`keystream:${seed}`).digest();
    this.cipher = createCipheriv('aes-128-ctr', d.subarray(0, 16), d.subarray(16, 32));
  }

  next(n: number): Buffer {
    if (this.zeros.length < n) this.zeros = Buffer.alloc(n);
    return this.cipher.update(this.zeros.subarray(0, n));
  }
}
