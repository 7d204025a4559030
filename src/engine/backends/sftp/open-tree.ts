/**
 * Opens a remote destination: parse, resolve ~/.ssh/config, connect (host key, keys), open the SFTP channels, find
 * the root folder (a relative path is relative to the login folder; links on the way are resolved, as locally), probe
 * what exec can do, and hand back an SftpTree. Every refusal is an AbsyncError with one line naming host and cause.
 */
import { posix } from 'node:path';
import { AbsyncError, describeError } from '../../errors.js';
import { connect } from './connect.js';
import { resolveEndpoint } from './endpoint.js';
import { kindOfMode } from './entries.js';
import { NO_EXEC, probeExec, type RemoteExec } from './probe.js';
import type { RemoteShell } from './remote-shell.js';
import { findRootCommand } from './scan-exec.js';
import { lstatOrGone, realpath } from './remote-fs.js';
import { formatRemote, parseRemote, type RemoteSpec } from '../../remote-spec.js';
import { SftpSession } from './session.js';
import { SftpError } from './sftp-errors.js';
import type { RemoteOptions } from './ssh-options.js';
import { SftpTree } from './sftp-tree.js';
import { Stamper } from './stamper.js';
import { lockScript, newLockText } from './remote-lock.js';
import { traceLine, tracing } from '../../trace.js';

/** Options of a remote destination tree. */
export interface SftpTreeOptions extends RemoteOptions {
  /** Where replaced and deleted entries go, on the same server: absolute, or relative to the destination (as rsync). */
  readonly backupDir?: string;
  /** Make the destination's missing parent folders (default true); false refuses a missing parent, as locally. */
  readonly mkpath?: boolean;
  /**
   * Return the tree without waiting for the exec probe (runSync): what needs exec waits for it, so a first copy's
   * lock, scan and first uploads do not wait for the account's login shell. Default false: the tree is probed.
   */
  readonly deferProbe?: boolean;
  /**
   * Take the run's lock on the shell right behind the root's record, where the account may run commands (runSync,
   * for a run that will lock): the tree's first lock() then waits for no round trip of its own. Default false.
   */
  readonly lockAtOpen?: boolean;
}

/** Resolves links in a remote path that may not exist yet, through its nearest existing ancestor. */
async function realpathLoose(s: SftpSession, path: string): Promise<{ path: string; exists: boolean }> {
  try {
    const real = await realpath(s, path);
    // Some servers resolve a missing last component without complaint: look.
    return { path: real, exists: (await lstatOrGone(s, real)) !== undefined };
  } catch (err) {
    if (!(err instanceof SftpError && err.code === 'ENOENT')) throw err;
    const parent = posix.dirname(path);
    if (parent === path) throw err;
    const up = await realpathLoose(s, parent);
    return { path: posix.join(up.path, posix.basename(path)), exists: false };
  }
}

async function findRoot(s: SftpSession, spec: RemoteSpec, label: string, mkpath: boolean): Promise<string> {
  let abs = spec.path;
  if (!abs.startsWith('/')) abs = posix.join(await realpath(s, '.'), abs);
  abs = posix.normalize(abs);
  if (abs.length > 1 && abs.endsWith('/')) abs = abs.slice(0, -1);
  let real;
  try {
    real = await realpathLoose(s, abs);
  } catch (err) {
    throw new AbsyncError('E_DEST_NOT_DIR', `cannot use destination ${label}: ${describeError(err).message}`, label);
  }
  if (real.exists) {
    const st = await lstatOrGone(s, real.path);
    if (st && kindOfMode(st.mode) !== 'dir') throw new AbsyncError('E_DEST_NOT_DIR', `destination exists and is not a folder: ${label}`, label);
  } else {
    // The nearest existing ancestor must be a folder, or the root can never be made.
    for (let up = posix.dirname(real.path); ; up = posix.dirname(up)) {
      const st = await lstatOrGone(s, up);
      if (st) {
        if (kindOfMode(st.mode) !== 'dir') throw new AbsyncError('E_DEST_NOT_DIR', `destination is not a folder (a parent is a file): ${label}`, label);
        break;
      }
      // As locally: without mkpath only the last level is made, so a mistyped parent is refused.
      if (!mkpath) throw new AbsyncError('E_DEST_NOT_DIR', `the parent folder of destination ${label} does not exist (mkpath creates it)`, label, 'mkpath');
      if (up === '/') break;
    }
  }
  return real.path;
}

/** Connects and returns the tree of `destination` (`user@host:/path`, `host:path` or `sftp://...`). */
export async function openSftpTree(destination: string | RemoteSpec, options: SftpTreeOptions = {}): Promise<SftpTree> {
  const spec = typeof destination === 'string' ? parseRemote(destination) : destination;
  if (!spec) throw new AbsyncError('E_OPTIONS', `not a remote destination: ${String(destination)}`);
  const endpoint = resolveEndpoint(spec, options);
  const t0 = performance.now();
  const trace = tracing() ? (what: string) => traceLine(`remote ${what} in ${(performance.now() - t0).toFixed(1)} ms`) : () => undefined;
  const client = await connect(endpoint, options);
  trace('connected (TCP, SSH handshake, host key, login)');
  const who = { user: endpoint.user, host: spec.host, ...(endpoint.port !== 22 ? { port: endpoint.port } : {}) };
  let session: SftpSession;
  // The probe (its exec channels pay the login shell's start-up) starts with the SFTP channels and runs while the
  // root is looked up over SFTP; a refusal closes the session, and with it the probe's channels.
  let probing: Promise<RemoteExec> = Promise.resolve({ caps: NO_EXEC });
  let stamper: Stamper | undefined;
  let shellRuns: (shell: RemoteShell | undefined) => void = () => undefined;
  const shellStarted = new Promise<RemoteShell | undefined>((resolve) => {
    shellRuns = resolve;
  });
  const probe = (s: SftpSession): void => {
    if (options.scanMode === 'sftp') return;
    stamper = new Stamper(s);
    probing = probeExec(s, stamper, options.connectTimeout, shellRuns);
    probing.then(() => shellRuns(undefined), () => shellRuns(undefined));
  };
  try {
    session = await SftpSession.open(client, `${endpoint.user}@${spec.host}${endpoint.port !== 22 ? ` port ${endpoint.port}` : ''}`, options, probe);
  } catch (err) {
    client.end();
    throw new AbsyncError('E_CONNECT', `cannot start SFTP on ${spec.host}: ${(err as Error).message} (is the sftp subsystem enabled?)`, spec.host);
  }
  trace('SFTP channels open');
  try {
    const root = await findRoot(session, spec, formatRemote(who, spec.path), options.mkpath ?? true);
    trace(`root found (a round trip ${session.roundTripMs?.toFixed(1) ?? '?'} ms)`);
    const label = formatRemote(who, root);
    // The root's own record (its sub-second mtime, which a refused run puts back) is asked for on the shell as soon
    // as it runs, behind the probe's script: the lock then waits for no round trip of its own (20 ms RTT: 1 of 4).
    const rootRecord = options.scanMode === 'sftp' ? undefined : shellStarted.then((shell) => shell?.run(findRootCommand(root)));
    rootRecord?.catch(() => undefined);
    const traced = probing.then((exec) => {
      trace(`probed (${exec.caps.find ? 'exec scan' : 'SFTP only'}${exec.caps.fineTimes ? ', microsecond mtimes' : ''})`);
      return exec;
    });
    // scanMode 'exec' refuses an account that cannot run find: that needs the probe's answer now.
    const exec = options.deferProbe && options.scanMode !== 'exec' ? traced : await traced;
    if (options.scanMode === 'exec' && !(exec as RemoteExec).caps.find) {
      throw new AbsyncError('E_OPTIONS', `scanMode 'exec' needs GNU find on ${spec.host}, and an account that may run commands`, spec.host);
    }
    const backup = options.backupDir === undefined || options.backupDir === '' ? undefined : posix.resolve(root, options.backupDir);
    if (backup !== undefined && (backup === root || root.startsWith(backup === '/' ? '/' : `${backup}/`))) {
      const why = backup === root ? 'is the destination' : `holds the destination ${label}`;
      throw new AbsyncError('E_NESTED', `backup folder ${options.backupDir} (${formatRemote(who, backup)}) ${why}; choose another`, options.backupDir);
    }
    // Behind the root's record on the same shell, so that the record is of the root before the lock was made in it.
    const text = newLockText();
    const earlyLock = options.lockAtOpen && rootRecord
      ? shellStarted.then(async (shell) => (shell ? { text, taken: (await shell.run(lockScript(root, text))).code === 0 } : undefined)).catch(() => undefined)
      : undefined;
    return new SftpTree({
      session, root, label, exec, tuning: options, ...(backup !== undefined ? { backup } : {}), ...(stamper ? { stamper } : {}), ...(rootRecord ? { rootRecord } : {}),
      ...(earlyLock ? { earlyLock } : {}),
    });
  } catch (err) {
    session.close();
    throw err;
  }
}
