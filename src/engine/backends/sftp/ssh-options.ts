/** The options of a remote destination: how to reach the server, whom to trust, and how hard to push. */

/** How to connect (the CLI's `--identity`, `--known-hosts`, ... in camelCase). */
export interface SshOptions {
  /** A private key file (OpenSSH, PEM or PPK; no passphrase). Without it: ssh-agent, then ~/.ssh/id_ed25519 and id_rsa. */
  readonly identity?: string;
  /** The known_hosts file to trust and record host keys in. Default `~/.ssh/known_hosts`. */
  readonly knownHosts?: string;
  /** Trust and record an unknown host's key, like ssh's `StrictHostKeyChecking=accept-new`. Default false: refused. */
  readonly acceptNewHostKey?: boolean;
  /** The port for the `host:path` form (sftp:// URLs carry their own). Default: ~/.ssh/config's Port, else 22. */
  readonly sshPort?: number;
  /** Milliseconds to wait for the TCP connection and the SSH handshake. Default 20,000. */
  readonly connectTimeout?: number;
  /** The ssh config file for Host aliases (HostName, User, Port, IdentityFile); false for none. Default `~/.ssh/config`. */
  readonly sshConfig?: string | false;
  /** The ssh-agent socket; false for none. Default `$SSH_AUTH_SOCK`. */
  readonly agent?: string | false;
}

/** Knobs for speed and fault handling; the defaults suit a LAN or loopback. */
export interface SftpTuning {
  /** Files written (or hashed over SFTP) at once. Default 64; ~1,000 pays off at 20 ms round trips. */
  readonly filesInFlight?: number;
  /** Folders listed at once by the SFTP scan. Default twice filesInFlight, at least 64, below the handles the server allows. */
  readonly foldersInFlight?: number;
  /** SFTP channels on the one connection; requests are spread over them (each is a server process). Default 2. */
  readonly channels?: number;
  /** A request (or a connection with requests pending) that gets no answer for this long ends the session. Default 60,000 ms. */
  readonly requestTimeout?: number;
  /** SSH keepalives every this many ms (0: none). Default 10,000; the connection is dropped after 3 unanswered. */
  readonly keepaliveInterval?: number;
  /** Tries to connect before giving up (for refused or timed-out connections only, never for a key problem). Default 3. */
  readonly connectAttempts?: number;
  /** How to read the remote tree: 'auto' (exec where the account may run commands, else SFTP), 'sftp' or 'exec'. */
  readonly scanMode?: 'auto' | 'sftp' | 'exec';
}

export type RemoteOptions = SshOptions & SftpTuning;

export const DEFAULTS = {
  connectTimeout: 20_000,
  filesInFlight: 64,
  foldersInFlight: 64,
  channels: 2,
  requestTimeout: 60_000,
  keepaliveInterval: 10_000,
  keepaliveCountMax: 3,
  connectAttempts: 3,
} as const;
