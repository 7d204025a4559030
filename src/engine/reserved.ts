/**
 * Names the engine itself writes into a destination: its lock in the root, and temporary files. A temporary name is
 * `.absync-tmp.` followed by 20 random characters of [a-z2-7] (100 bits): unpredictable, so nobody can plant a link
 * where the next one will be, and exact, so a user's `.absync-tmp.report.pdf` is never mistaken for a leftover.
 * native/common.c recognises the same pattern.
 */
import { lazyCrypto } from './lazy-builtins.js';

/** Prefix of every temporary name. */
export const TMP_PREFIX = '.absync-tmp.';
/** The lock file in the destination root. */
export const LOCK_NAME = '.absync.lock';

/** The second name a taker links a stale lock to (scans skip it in a destination root, like the lock). */
export const TAKEOVER_NAME = `${LOCK_NAME}.takeover`;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const RANDOM_LENGTH = 20;
const TEMP = /^\.absync-tmp\.[a-z2-7]{20}$/;

/** True for a name only the engine makes (a leftover temporary when a run was killed). */
export function isTempName(name: string): boolean {
  return name.length === TMP_PREFIX.length + RANDOM_LENGTH && TEMP.test(name);
}

/** Random bytes drawn a block at a time: one randomBytes() per name cost 10 us, a tenth of a small remote upload. */
let pool = Buffer.alloc(0);
let used = 0;

/** A fresh temporary name. */
export function newTempName(): string {
  if (used + RANDOM_LENGTH > pool.length) {
    pool = lazyCrypto().randomBytes(RANDOM_LENGTH * 256);
    used = 0;
  }
  let out = TMP_PREFIX;
  for (let i = used; i < used + RANDOM_LENGTH; i++) out += ALPHABET[(pool[i] as number) & 31];
  used += RANDOM_LENGTH;
  return out;
}

/** Why a source entry with one of these names is not mirrored (a warning, never a silent skip). */
export function reservedReason(name: string): string {
  return name === LOCK_NAME
    ? `${LOCK_NAME} is the name of absync's lock in a destination root; not mirrored`
    : 'the name is one absync uses for its temporary files; not mirrored';
}
