/**
 * What the account may run, asked once per connection with one small script on an exec channel: GNU find with
 * -printf (the exec scan), touch and find agreeing on a sub-second time (so mtimes can be set and compared to the
 * microsecond instead of SFTP v3's whole seconds), and md5sum/sha1sum/sha256sum with -z (remote hashing). An account
 * that may not run commands (`ForceCommand internal-sftp`, a nologin shell) answers nothing useful: SFTP alone.
 */
import { createHash } from 'node:crypto';
import type { HashAlgorithm } from '../../options.js';
import type { SftpSession } from './session.js';

/** What exec can do for this connection. */
export interface ExecCaps {
  /** `find -printf` works: the exec scan. */
  readonly find: boolean;
  /** `touch -d @s.us` sets, and `find %T@` reads back, sub-second mtimes. */
  readonly fineTimes: boolean;
  /** Hashes the server can compute (`<algo>sum -z` through `xargs -0`). */
  readonly sums: ReadonlySet<HashAlgorithm>;
}

export const NO_EXEC: ExecCaps = { find: false, fineTimes: false, sums: new Set() };

const ALGORITHMS: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256'];

const SCRIPT = `export LC_ALL=C
t=$(mktemp 2>/dev/null) || exit 0
printf x > "$t"
echo "find:$(find "$t" -maxdepth 0 -printf %s 2>/dev/null)"
touch -h -d @1.5 "$t" 2>/dev/null && echo "time:$(find "$t" -maxdepth 0 -printf %T@ 2>/dev/null)"
for a in ${ALGORITHMS.join(' ')}; do printf '%s\\0' "$t" | xargs -0 "$a"sum -z -- 2>/dev/null | tr '\\0' '\\n' | sed "s/^/$a:/"; done
rm -f "$t"
`;

/** Gives up on exec after this long: an SFTP-only account may keep the channel open. */
const PROBE_TIMEOUT_MS = 10_000;

export async function probeExec(session: SftpSession): Promise<ExecCaps> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS);
  });
  const result = await Promise.race([session.exec('sh', SCRIPT).catch(() => undefined), timeout]);
  clearTimeout(timer);
  if (!result || result.code !== 0) return NO_EXEC;
  const lines = result.stdout.toString('utf8').split('\n');
  const sums = new Set<HashAlgorithm>();
  for (const a of ALGORITHMS) {
    const want = createHash(a).update('x').digest('hex');
    if (lines.some((l) => l.startsWith(`${a}:${want} `))) sums.add(a);
  }
  return {
    find: lines.includes('find:1'),
    fineTimes: lines.some((l) => /^time:1\.50*$/.test(l)),
    sums,
  };
}
