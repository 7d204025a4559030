/** What every remote step needs: the session, where the tree is, what the server can do, and the run's limits. */
import type { LimitFunction } from 'p-limit';
import { newTempName } from '../../reserved.js';
import type { Fingerprint } from '../../types.js';
import { kindOfMode } from './entries.js';
import type { RemoteExec } from './probe.js';
import type { RecordSlabs } from './record-slabs.js';
import type { RemoteStats } from './remote-fs.js';
import type { RemoteParentGuard } from './remote-guard.js';
import type { SftpSession } from './session.js';

export interface RemoteContext {
  readonly session: SftpSession;
  /** The remote root, absolute and resolved. */
  readonly root: string;
  readonly guard: RemoteParentGuard;
  /** What exec can do here, and its helpers (the capabilities drop to SFTP's if an exec scan fails mid-run). */
  readonly exec: RemoteExec;
  /** Resolves once the exec probe has answered (at once when it had before the tree opened): read `exec` after it. */
  readonly probed: Promise<void>;
  /** Resolves once `exec.caps` also says whether links' own times can be set, and which sums the server has. */
  fullyProbed(): Promise<void>;
  /** Uploads (and SFTP hashes) in flight across every batch of the run. */
  readonly files: LimitFunction;
  /** Where replaced and deleted entries go (absolute remote path), if anywhere. */
  readonly backup?: string;
  /** Buffers for batches of write records (write-helper.ts), used again once answered. */
  readonly slabs: RecordSlabs;
  /** Files whose bytes were read in batches (write-helper.ts), for traces and tests. */
  readonly counts: { batched: number };
}

/** A fresh temporary name (reserved.ts): random, so that no one can plant a link at it in advance (O_EXCL would refuse it anyway). */
export const remoteTempName = newTempName;

/**
 * Is the entry still what the scan saw? SFTP's LSTAT gives no inode and whole-second times, so kind, size and the
 * mtime's second are compared (an exec scan's finer mtime is compared at that precision here).
 */
export function stillExpected(st: RemoteStats | undefined, expect: Fingerprint): 'ok' | 'gone' | 'changed' {
  if (!st) return 'gone';
  if (kindOfMode(st.mode) !== expect.kind) return 'changed';
  if (expect.size !== undefined && expect.size !== st.size) return 'changed';
  if (expect.mtimeMs !== undefined && Math.floor(expect.mtimeMs / 1000) !== st.mtime) return 'changed';
  return 'ok';
}
