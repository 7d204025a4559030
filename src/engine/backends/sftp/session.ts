/**
 * An SSH connection with its SFTP channels, as promises with deadlines. ssh2 answers every request through a
 * callback, but a request sent on a channel that has just closed is silently dropped: without a deadline it would
 * wait forever. So every request counts as pending, a watchdog ends the session when requests are pending and
 * nothing has come back for `requestTimeout`, and once the session has failed every request fails at once with the
 * same cause. A dropped connection thus ends a run's steps as failures, never as a hang.
 */
import type ssh2 from 'ssh2';
import { coalesceRequests } from './coalesce.js';
import { ConnectionLostError, sftpError } from './sftp-errors.js';
import { DEFAULTS, type SftpTuning } from './ssh-options.js';

type Sftp = ssh2.SFTPWrapper;

/** 255 KiB: OpenSSH's largest read and write (limits@openssh.com says 261,120 bytes). */
const MAX_IO = 255 * 1024;

/** The OpenSSH extensions this code uses, as the server announced them. */
export interface Extensions {
  readonly posixRename: boolean;
  readonly lsetstat: boolean;
  readonly fsync: boolean;
  readonly hardlink: boolean;
}

/** Sizes the server takes (limits@openssh.com where it answers; ssh2's conservative defaults elsewhere). */
export interface Limits {
  /** The largest WRITE, in bytes: at most 255 KiB (OpenSSH's own limit). */
  readonly write: number;
  readonly read: number;
  /** Open handles per channel the server allows, if it says. */
  readonly handles: number | undefined;
}

export class SftpSession {
  private failure: Error | undefined;
  private pending = 0;
  private lastProgress = Date.now();
  private next = 0;
  private readonly watchdog: NodeJS.Timeout;
  private readonly timeoutMs: number;

  private channels: Sftp[] = [];
  /** What the server announced on its first SFTP channel (set when the channels are open). */
  extensions: Extensions = { posixRename: false, lsetstat: false, fsync: false, hardlink: false };
  limits: Limits = { write: 32 * 1024, read: 32 * 1024, handles: undefined };
  /**
   * One request's round trip, the shortest of the requests answered so far (undefined until one is): how far the
   * server is. The shortest, since one request may wait behind the server's or this machine's other work (a loaded
   * machine timed 4-5 ms on loopback for the root's first lookups).
   */
  roundTripMs: number | undefined;

  private noteRoundTrip(ms: number): void {
    this.roundTripMs = this.roundTripMs === undefined ? ms : Math.min(this.roundTripMs, ms);
  }

  private constructor(
    readonly client: ssh2.Client,
    /** `user@host` for messages. */
    readonly label: string,
    tuning: SftpTuning,
  ) {
    this.timeoutMs = tuning.requestTimeout ?? DEFAULTS.requestTimeout;
    this.watchdog = setInterval(() => {
      if (this.pending > 0 && Date.now() - this.lastProgress > this.timeoutMs) {
        this.fail(new Error(`no answer from the server for ${Math.round(this.timeoutMs / 1000)} s`));
      }
    }, Math.min(1000, this.timeoutMs));
    this.watchdog.unref();
    client.on('error', (err: Error) => this.fail(err));
    client.on('close', () => this.fail(new Error('the connection closed')));
  }

  /**
   * Opens `channels` SFTP channels on a connected client. `meanwhile` gets the session before they are open, for
   * work that needs only exec channels (the probe), so that its round trips overlap theirs.
   */
  static async open(client: ssh2.Client, label: string, tuning: SftpTuning, meanwhile?: (session: SftpSession) => void): Promise<SftpSession> {
    const session = new SftpSession(client, label, tuning);
    meanwhile?.(session);
    const n = Math.max(1, tuning.channels ?? DEFAULTS.channels);
    let channels: Sftp[];
    try {
      channels = await Promise.all(
        Array.from({ length: n }, () => new Promise<Sftp>((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))))),
      );
    } catch (err) {
      session.close();
      throw err;
    }
    for (const ch of channels) {
      coalesceRequests(ch);
      ch.on('close', () => session.fail(new Error('the SFTP channel closed')));
    }
    // ssh2 keeps the server's extensions and limits on the channel without a public accessor.
    const first = channels[0] as unknown as { _extensions?: Record<string, string>; _maxWriteLen?: number; _maxReadLen?: number; maxOpenHandles?: number };
    const ext = first._extensions ?? {};
    session.limits = {
      write: Math.min(MAX_IO, first._maxWriteLen ?? 32 * 1024),
      read: Math.min(MAX_IO, first._maxReadLen ?? 32 * 1024),
      handles: Number.isFinite(first.maxOpenHandles) && (first.maxOpenHandles as number) > 0 ? first.maxOpenHandles : undefined,
    };
    session.extensions = {
      posixRename: 'posix-rename@openssh.com' in ext,
      lsetstat: 'lsetstat@openssh.com' in ext,
      fsync: 'fsync@openssh.com' in ext,
      hardlink: 'hardlink@openssh.com' in ext,
    };
    session.channels = channels;
    return session;
  }

  /** How many SFTP channels the session spreads requests over. */
  get channelCount(): number {
    return this.channels.length;
  }

  /** Set once the connection is unusable; every later request fails with it. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Ends the session with `cause`: pending requests fail, the connection is closed. */
  fail(cause: Error): void {
    if (this.failure) return;
    this.failure = new ConnectionLostError(this.label, cause);
    clearInterval(this.watchdog);
    for (const settle of [...this.waiters]) settle(this.failure);
    this.client.end();
    // A half-open TCP connection would keep end() waiting; the socket is destroyed outright.
    (this.client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
  }

  /** The channel for the next request: round robin, so both ends' processes share the work. */
  channel(): Sftp {
    const ch = this.channels[this.next] as Sftp;
    this.next = (this.next + 1) % this.channels.length;
    return ch;
  }

  /** Settles every pending request when the session fails (their own callbacks may never come). */
  private readonly waiters = new Set<(err: Error) => void>();

  /** One request with a deadline; errors become errno-style errors naming `path`. */
  request<T>(path: string, send: (sftp: Sftp, cb: (err: Error | null | undefined, value?: T) => void) => void, sftp: Sftp = this.channel()): Promise<T> {
    const t0 = performance.now();
    return this.begin<T>((settle) => send(sftp, (err, value) => {
      // Every answer took at least one round trip: the shortest so far is the best guess of the distance.
      this.noteRoundTrip(performance.now() - t0);
      settle(err, value);
    }), (err) => sftpError(err, path));
  }

  /**
   * Counts `start`'s operation as pending until it settles (so the watchdog sees it), and fails it at once if the
   * session fails first. `start` gets `settle` and a `progress` callback for streamed data.
   */
  track<T>(start: (settle: (err: Error | undefined, value?: T) => void, progress: () => void) => void): Promise<T> {
    return this.begin<T>((settle) => start(settle, this.progress), (err) => err);
  }

  /** Streamed data came in: the watchdog's clock starts again. */
  private readonly progress = (): void => {
    this.lastProgress = Date.now();
  };

  /**
   * What request() and track() share: the operation counts as pending until `run`'s settle is called (once; a throw
   * settles it too), and a session that fails first fails it with its own cause. Other errors go through `wrap`.
   */
  private begin<T>(run: (settle: (err: Error | null | undefined, value?: T) => void) => void, wrap: (err: Error) => Error): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    this.pending++;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const settle = (err: Error | null | undefined, value?: T): void => {
        if (done) return;
        done = true;
        this.pending--;
        this.lastProgress = Date.now();
        this.waiters.delete(settle);
        if (this.failure) reject(this.failure);
        else if (err) reject(wrap(err));
        else resolve(value as T);
      };
      this.waiters.add(settle);
      try {
        run(settle);
      } catch (err) {
        settle(err as Error);
      }
    });
  }

  /** Starts a command on a new exec channel (the account's login shell runs it). */
  openExec(command: string): Promise<ssh2.ClientChannel> {
    return this.track<ssh2.ClientChannel>((settle) => this.client.exec(command, (err, stream) => settle(err, stream)));
  }

  /** Closes the channels and the connection. */
  close(): void {
    if (!this.failure) this.failure = new ConnectionLostError(this.label, new Error('the session was closed'));
    clearInterval(this.watchdog);
    for (const settle of [...this.waiters]) settle(this.failure);
    this.client.end();
  }
}
