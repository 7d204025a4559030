/**
 * What the account may run, asked once per connection on the connection's shell (the perl helper where perl runs, a
 * plain `sh` where commands run but perl does not), in two scripts: first GNU find
 * with -printf (the exec scan) and perl with Time::HiRes setting a sub-second mtime that find reads back (so mtimes
 * are set and compared to the microsecond instead of SFTP v3's whole seconds), which the lock and the scan wait for;
 * then, when first needed, touch -h for links' own sub-second times and md5sum/sha1sum/sha256sum with -z (remote
 * hashing). An account that may not run commands (`ForceCommand internal-sftp`, a nologin shell) answers nothing
 * useful: SFTP alone.
 */
import { createHash } from 'node:crypto';
import type { HashAlgorithm } from '../../options.js';
import { HelperShell, type RemoteShell, type ShellResult, ShellChannel } from './remote-shell.js';
import type { SftpSession } from './session.js';
import { type Stamper, STAMPER_COMMAND } from './stamper.js';

/** What exec can do for this connection. */
export interface ExecCaps {
  /** `find -printf` works: the exec scan. */
  readonly find: boolean;
  /** Sub-second mtimes are set (perl) and read back (find) exactly: compared to the microsecond. */
  readonly fineTimes: boolean;
  /** `touch -h -d @s.us` sets a link's own sub-second mtime. */
  readonly linkTimes: boolean;
  /** Hashes the server can compute (`<algo>sum -z` through `xargs -0`). */
  readonly sums: ReadonlySet<HashAlgorithm>;
}

/** The connection's exec helpers, where the account may run commands. */
export interface RemoteExec {
  readonly caps: ExecCaps;
  /**
   * Links' own times and the sums, asked (once) in a script of their own when first called: the lock and the scan
   * need only find and perl, and the shell runs one script at a time. `caps` holds neither until it resolves.
   */
  readonly more?: () => Promise<Pick<ExecCaps, 'linkTimes' | 'sums'>>;
  /**
   * Why exec is off, when not for want of an account that may run commands: its shell opened but did not answer in
   * time (a slow login shell). Said in the summary, with the whole-second mtimes that follow.
   */
  readonly why?: string;
  readonly shell?: RemoteShell;
  readonly stamper?: Stamper;
}

export const NO_EXEC: ExecCaps = { find: false, fineTimes: false, linkTimes: false, sums: new Set() };

const ALGORITHMS: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256'];

/** What the lock and the scan wait for: find -printf, and perl setting a sub-second mtime that find reads back. */
const SCRIPT = `export LC_ALL=C
t=$(mktemp 2>/dev/null) || exit 0
printf x > "$t"
echo "find:$(find "$t" -maxdepth 0 -printf %s)"
printf '1.5000005\\0%s\\0' "$t" | ${STAMPER_COMMAND} && echo && echo "perl:$(find "$t" -maxdepth 0 -printf %T@)"
rm -f "$t"`;

/** The rest, asked when needed (a dozen processes: 50-100 ms here that a run's lock and scan no longer wait for). */
const MORE = `export LC_ALL=C
t=$(mktemp 2>/dev/null) || exit 0
printf x > "$t"
ln -s x "$t.l" && touch -h -d @2.5 "$t.l" && echo "link:$(find "$t.l" -maxdepth 0 -printf %T@)"
for a in ${ALGORITHMS.join(' ')}; do printf '%s\\0' "$t" | xargs -0 "$a"sum -z -- | tr '\\0' '\\n' | sed "s/^/$a:/"; done
rm -f "$t" "$t.l"`;

/** Links' own times and the sums, from MORE's output (none where it failed). */
async function moreCaps(shell: RemoteShell): Promise<Pick<ExecCaps, 'linkTimes' | 'sums'>> {
  const r = await shell.run(MORE).catch(() => undefined);
  const lines = r && r.code === 0 ? r.stdout.toString('utf8').split('\n') : [];
  const sums = new Set<HashAlgorithm>();
  for (const a of ALGORITHMS) {
    const want = createHash(a).update('x').digest('hex');
    if (lines.some((l) => l.startsWith(`${a}:${want} `))) sums.add(a);
  }
  return { linkTimes: lines.some((l) => /^link:2\.50*$/.test(l)), sums };
}

/** Gives up on exec after this long (or the connect timeout, if shorter): an SFTP-only account may keep the channel open. */
const PROBE_TIMEOUT_MS = 10_000;

const TIMED_OUT = Symbol('timed out');

/** `p`'s value; undefined when it fails, TIMED_OUT when it has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([p.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/** The connection's shell, and its answer to SCRIPT. */
interface Probed {
  readonly shell?: RemoteShell;
  readonly result: ShellResult | undefined | typeof TIMED_OUT;
}

/** A plain `sh` (perl does not start here) and its answer to SCRIPT. */
async function probeSh(session: SftpSession, ms: number): Promise<Probed> {
  const started = await within(ShellChannel.start(session), ms);
  if (started === TIMED_OUT) return { result: TIMED_OUT };
  if (!started) return { result: undefined };
  return { shell: started, result: await within(Promise.race([started.run(SCRIPT), started.closed.then(() => undefined)]), ms) };
}

/**
 * `stamper` (made by the caller, so that the tree can warm it before the probe answers) is the connection's shell
 * where perl runs, and is handed back where perl sets sub-second times. `onShell` gets the shell at once: scripts
 * sent on it go out behind the probe's without waiting for its answer (the caller checks the capabilities after);
 * where perl does not start they fail, and the probe goes on on a plain `sh`.
 */
export async function probeExec(session: SftpSession, stamper: Stamper, timeoutMs = PROBE_TIMEOUT_MS, onShell?: (shell: RemoteShell) => void): Promise<RemoteExec> {
  const ms = Math.min(timeoutMs, PROBE_TIMEOUT_MS);
  const helper = new HelperShell(stamper, session);
  onShell?.(helper);
  // A channel that closes unanswered (an SFTP-only account's exec runs internal-sftp, which takes the script for a
  // bad packet) ends the probe at once: the lock waits for it.
  const answer = await within(helper.run(SCRIPT), ms);
  const probed: Probed = answer !== undefined ? { shell: helper, result: answer } : stamper.perlMissing ? await probeSh(session, ms) : { result: undefined };
  const { shell } = probed;
  const onHelper = shell === helper;
  const result = probed.result;
  if (result === TIMED_OUT) {
    shell?.close();
    stamper.close();
    return { caps: NO_EXEC, why: `the account's shell did not answer within ${ms / 1000} s; SFTP only for this run` };
  }
  const lines = result && result.code === 0 ? result.stdout.toString('utf8').split('\n') : [];
  const find = lines.includes('find:1');
  const fine = find && lines.some((l) => /^1?perl:1\.500000/.test(l));
  if (!shell) {
    stamper.close();
    return { caps: NO_EXEC };
  }
  let asked: Promise<Pick<ExecCaps, 'linkTimes' | 'sums'>> | undefined;
  const more = (): Promise<Pick<ExecCaps, 'linkTimes' | 'sums'>> => (asked ??= moreCaps(shell));
  if (!find) {
    // No exec scan: the shell is kept only to hash, which MORE decides (nothing waits for a probe like this one).
    if (!onHelper) stamper.close();
    const m = await within(more(), ms);
    if (m === undefined || m === TIMED_OUT || m.sums.size === 0) {
      shell.close();
      return { caps: NO_EXEC };
    }
    return { caps: { ...NO_EXEC, sums: m.sums }, shell };
  }
  if (!fine && !onHelper) stamper.close();
  return { caps: { find, fineTimes: fine, linkTimes: false, sums: new Set() }, shell, ...(fine ? { stamper } : {}), more };
}
