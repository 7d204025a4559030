/**
 * A private OpenSSH server on 127.0.0.1 for the remote tests and the bench: its own sshd_config, host key, client
 * key and authorized_keys in a temp folder, `sshd -D -e -f <config>` as a child process killed by its pid. Key auth
 * only, `UsePAM no`. Nothing system-wide is touched except `/run/sshd` (sshd's privilege-separation folder, which it
 * refuses to start without). Modelled on shared/tools/sshd-up.sh; `.ci/run` installs openssh-server when it is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SSHD_PATHS = ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/usr/bin/sshd'];

/** How the server lets the client in. */
export interface SshdOptions {
  /** `ForceCommand internal-sftp`: the account may not run commands (the SFTP-only scan mode). */
  readonly sftpOnly?: boolean;
  /** The account to log in as (default the current user; root logs in with its key only). */
  readonly user?: string;
  /** `internal` (default): internal-sftp inside the session process; `external`: a separate sftp-server process. */
  readonly subsystem?: 'internal' | 'external';
  /**
   * Seconds every command waits before it runs (a slow login): sshd's ForceCommand runs a script that sleeps, then
   * runs the command the client asked for with the account's shell; the SFTP subsystem (then the external
   * sftp-server) starts at once.
   */
  readonly slowShell?: number;
  /** Channels one connection may open (sshd's MaxSessions; default 64). */
  readonly maxSessions?: number;
  /** Bytes every command prints before it runs (a login script's greeting), by the same forced command as slowShell. */
  readonly loginOutput?: string;
  /** Variables set in the session's environment (sshd's SetEnv, which wins over its own PATH): a PATH without perl. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running server. */
export interface SshServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  /** The temp folder holding config, keys and the log. */
  readonly dir: string;
  /** The client's private key file (ed25519, no passphrase). */
  readonly key: string;
  /** A known_hosts file that already trusts this server (`[127.0.0.1]:port ssh-ed25519 ...`). */
  readonly knownHosts: string;
  /** The host key's public line (`ssh-ed25519 AAAA...`). */
  readonly hostKey: string;
  /** The listening sshd's pid. */
  readonly pid: number;
  /** `user@127.0.0.1` */
  readonly login: string;
  /** The pids of the per-connection sshd processes (children of the listener). */
  sessions(): number[];
  /** Kills the server by its pid and removes its folder. */
  stop(): Promise<void>;
}

function sshdPath(): string | undefined {
  const fromPath = spawnSync('sh', ['-c', 'command -v sshd'], { encoding: 'utf8' }).stdout.trim();
  return [fromPath, ...SSHD_PATHS].find((p) => p !== '' && existsSync(p));
}

/** Why sshd cannot run here, or undefined when it can: tests skip with this reason. */
export function sshdUnavailable(): string | undefined {
  const sshd = sshdPath();
  if (!sshd) return 'sshd not found (apt-get install -y openssh-server; .ci/run does it)';
  try {
    accessSync(sshd, constants.X_OK);
  } catch {
    return `${sshd} is not executable`;
  }
  if (process.getuid?.() !== 0) return 'the test sshd needs root (it logs in as other users and writes /run/sshd)';
  return undefined;
}

function sftpServerPath(): string {
  return ['/usr/lib/openssh/sftp-server', '/usr/libexec/openssh/sftp-server', '/usr/lib/ssh/sftp-server'].find((p) => existsSync(p)) ?? 'internal-sftp';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * An ed25519 key pair written to `file` and `file.pub` by ssh-keygen (ssh2's own generator made keys that sshd
 * sometimes could not load: "error in libcrypto"). Returns the public line.
 */
export function makeKeyPair(file: string, comment: string): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr || r.error?.message}`);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** Commands run through this file's forced command (slowShell, loginOutput). */
function forced(opts: SshdOptions): boolean {
  return !opts.sftpOnly && (opts.slowShell !== undefined || opts.loginOutput !== undefined);
}

function config(dir: string, port: number, user: string, opts: SshdOptions): string {
  // A forced command runs in place of the subsystem too: it then starts the external sftp-server itself.
  const subsystem = opts.subsystem === 'external' || forced(opts) ? sftpServerPath() : 'internal-sftp';
  return [
    '# written by test/helpers/sshd.ts: loopback only, key auth only, no PAM',
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${dir}/host_ed25519`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    // Benchmarks and the parallel tests open several connections and channels at once.
    'MaxStartups 64:30:128',
    `MaxSessions ${opts.maxSessions ?? 64}`,
    'LogLevel INFO',
    `Subsystem sftp ${subsystem}`,
    ...(opts.sftpOnly ? ['ForceCommand internal-sftp', 'DisableForwarding yes'] : []),
    ...(forced(opts) ? [`ForceCommand ${dir}/login.sh`] : []),
    ...(opts.env ? [`SetEnv ${Object.entries(opts.env).map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
    '',
  ].join('\n');
}

const running = new Set<ChildProcess>();
let exitHook = false;

/** Starts a server; resolves once it listens. */
export async function startSshd(opts: SshdOptions = {}): Promise<SshServer> {
  const sshd = sshdPath();
  if (!sshd) throw new Error(sshdUnavailable());
  const user = opts.user ?? userInfo().username;
  const dir = mkdtempSync(join(tmpdir(), 'absync-sshd-'));
  const hostPub = makeKeyPair(join(dir, 'host_ed25519'), 'absync-test-host');
  const clientPub = makeKeyPair(join(dir, 'client_ed25519'), 'absync-test-client');
  writeFileSync(join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o644 });
  if (user !== userInfo().username) {
    // The other account reads its authorized_keys from here.
    chmodSync(dir, 0o711);
    const id = spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim();
    if (id !== '') chownSync(join(dir, 'authorized_keys'), Number(id), 0);
  }
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  if (forced(opts)) {
    const sftp = sftpServerPath();
    writeFileSync(join(dir, 'login.sh'), [
      '#!/bin/sh',
      `[ "$SSH_ORIGINAL_COMMAND" = ${JSON.stringify(sftp)} ] && exec ${JSON.stringify(sftp)}`,
      ...(opts.slowShell ? [`sleep ${opts.slowShell}`] : []),
      ...(opts.loginOutput !== undefined ? [`printf '%b' '${[...Buffer.from(opts.loginOutput, 'latin1')].map((b) => `\\0${b.toString(8).padStart(3, '0')}`).join('')}'`] : []),
      'exec "${SHELL:-/bin/sh}" -c "$SSH_ORIGINAL_COMMAND"',
      '',
    ].join('\n'), { mode: 0o755 });
  }
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'sshd_config'), config(dir, port, user, opts));
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub.split(' ').slice(0, 2).join(' ')}\n`);
    try {
      return await launch(sshd, dir, port, user, hostPub);
    } catch (err) {
      // Another process took the port between our probe and sshd's bind: try another one.
      if (attempt >= 5 || !/Address already in use|Bind to port/.test(String(err))) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

function launch(sshd: string, dir: string, port: number, user: string, hostPub: string): Promise<SshServer> {
  const child = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  let log = '';
  let ready = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sshd did not listen on ${port} within 10 s: ${log.trim()}`));
    }, 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Error(`sshd exited with ${code}: ${log.trim()}`));
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      if (log.length < 100_000) log += text;
      if (ready || !log.includes(`Server listening on 127.0.0.1 port ${port}`)) return;
      ready = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.once('exit', () => running.delete(child));
      const pid = child.pid as number;
      resolve({
        host: '127.0.0.1',
        port,
        user,
        dir,
        pid,
        login: `${user}@127.0.0.1`,
        key: join(dir, 'client_ed25519'),
        knownHosts: join(dir, 'known_hosts'),
        hostKey: hostPub.split(' ').slice(0, 2).join(' '),
        sessions: () => childrenOf(pid),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            const gone = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            await gone;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });
}

/** Pids whose parent is `pid` (from /proc). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* the process ended while we looked */
    }
  }
  return out;
}

/** The session's processes: the listener's children (one per connection) and everything below them. */
export function sessionProcesses(srv: SshServer): number[] {
  const out: number[] = [];
  const walk = (pid: number): void => {
    out.push(pid);
    for (const c of childrenOf(pid)) walk(c);
  };
  for (const s of srv.sessions()) walk(s);
  return out;
}
