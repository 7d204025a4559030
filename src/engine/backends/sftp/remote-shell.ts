/**
 * The connection's shell: scripts run one at a time, each with stdin from /dev/null (so no command can eat the ones
 * after it) and stderr discarded; a script that needs data gets it inside its own text. Starting a command over SSH
 * runs the account's login shell with its startup files (0.3-0.4 s for root here, whose ~/.bashrc runs pyenv): a
 * shell kept open pays that once, not per command. Where perl runs, the connection's perl helper is that shell
 * (HelperShell: its X records), so that a connection pays one login shell, not two; elsewhere a `sh` of its own
 * (ShellChannel).
 */
import { randomBytes } from 'node:crypto';
import type ssh2 from 'ssh2';
import type { SftpSession } from './session.js';
import type { Stamper } from './stamper.js';

/** A script's exit status and what it printed. */
export interface ShellResult {
  readonly code: number;
  readonly stdout: Buffer;
}

interface Job {
  readonly marker: Buffer;
  /** Takes the script's output as it arrives (the marker and status never reach it). */
  readonly data: (chunk: Buffer) => void;
  readonly settle: (err: Error | undefined, code?: number) => void;
  readonly progress: () => void;
  /** The marker has been seen: what follows is the status, up to a NUL. */
  ended: boolean;
}

export abstract class RemoteShell {
  /**
   * Runs `script`; resolves with its status, its output handed to `onData` as it arrives (a long listing is parsed
   * while the server still prints it). Fails when the shell or the session is gone.
   */
  abstract stream(script: string, onData: (chunk: Buffer) => void): Promise<number>;

  abstract close(): void;

  /** Runs `script`; resolves with its status and all it printed. */
  async run(script: string): Promise<ShellResult> {
    const chunks: Buffer[] = [];
    const code = await this.stream(script, (chunk) => chunks.push(chunk));
    return { code, stdout: Buffer.concat(chunks) };
  }
}

/**
 * Scripts as the perl helper's X records (see stamper.ts): the helper's own channel, no login shell of its own. Where
 * perl ends while the connection lives on (killed on the server), later scripts go to a plain `sh` started then, so
 * that what the helper carried (times, through a perl per batch) still has a shell.
 */
export class HelperShell extends RemoteShell {
  private fallback: Promise<ShellChannel> | undefined;
  private shut = false;

  constructor(readonly helper: Stamper, private readonly session: SftpSession) {
    super();
  }

  stream(script: string, onData: (chunk: Buffer) => void): Promise<number> {
    if (!this.helper.ended || this.session.failed || this.shut) return this.helper.exec(script, onData);
    this.fallback ??= ShellChannel.start(this.session);
    return this.fallback.then((sh) => sh.stream(script, onData));
  }

  close(): void {
    this.shut = true;
    this.helper.close();
    void this.fallback?.then((sh) => sh.close(), () => undefined);
  }
}

/**
 * One `sh` on an exec channel, fed scripts on its stdin, each answered up to a marker with a random token and the
 * script's exit status; each runs in a subshell.
 */
export class ShellChannel extends RemoteShell {
  /**
   * Output not yet handed on: the current job's last bytes that may be the start of its marker, a status without its
   * NUL yet, or what the channel printed before any script was sent (a login shell's startup files), which becomes
   * the first script's output.
   */
  private held: Buffer = Buffer.alloc(0);
  private readonly jobs: Job[] = [];
  private dead: Error | undefined;
  /**
   * Resolves as soon as the channel closes (the scripts fail 50 ms later, see below): for a caller that needs no
   * cause, such as the probe on an account whose exec runs `internal-sftp`, which closes the channel at once.
   */
  readonly closed: Promise<void>;

  private constructor(private readonly session: SftpSession, private readonly channel: ssh2.ClientChannel) {
    super();
    this.closed = new Promise((resolve) => channel.once('close', () => resolve()));
    channel.on('data', (d: Buffer) => this.take(d));
    channel.stderr.on('data', () => undefined);
    // A dropped connection closes its channels before the client says it closed: fail the scripts a moment later,
    // so that they fail with the session's failure (its cause) when that is what happened.
    channel.on('close', () => setTimeout(() => this.die(session.failed ?? new Error('the remote shell ended')), 50).unref());
  }

  static async start(session: SftpSession): Promise<ShellChannel> {
    return new ShellChannel(session, await session.openExec('sh'));
  }

  private die(err: Error): void {
    this.dead ??= err;
    for (const job of this.jobs.splice(0)) job.settle(this.dead);
  }

  /** Hands each job its output as it comes, and finishes every job whose marker and status a chunk completes. */
  private take(d: Buffer): void {
    const first = this.jobs[0];
    first?.progress();
    let data = d;
    if (this.held.length > 0) {
      // Output held back because it might start the marker: when the marker does not start there, it goes on as it
      // is, and the chunk is not copied behind it (a listing comes in hundreds of chunks).
      const edge = first && !first.ended && d.length >= first.marker.length ? Buffer.concat([this.held, d.subarray(0, first.marker.length - 1)]) : undefined;
      if (first && edge && edge.indexOf(first.marker) < 0) first.data(this.held);
      else data = Buffer.concat([this.held, d]);
      this.held = Buffer.alloc(0);
    }
    for (let job = this.jobs[0]; job; job = this.jobs[0]) {
      if (!job.ended) {
        const at = data.indexOf(job.marker);
        if (at < 0) {
          // Keep back what may be the marker's start (it may straddle two chunks); the rest is output.
          const keep = Math.min(data.length, job.marker.length - 1);
          if (data.length > keep) job.data(data.subarray(0, data.length - keep));
          this.held = data.subarray(data.length - keep);
          return;
        }
        if (at > 0) job.data(data.subarray(0, at));
        data = data.subarray(at + job.marker.length);
        job.ended = true;
      }
      const end = data.indexOf(0);
      if (end < 0) break;
      const code = Number(data.toString('latin1', 0, end));
      data = data.subarray(end + 1);
      this.jobs.shift();
      job.settle(undefined, code);
    }
    this.held = data;
  }

  stream(script: string, onData: (chunk: Buffer) => void): Promise<number> {
    if (this.dead) return Promise.reject(this.dead);
    const token = randomBytes(12).toString('hex');
    return this.session.track<number>((settle, progress) => {
      this.jobs.push({ marker: Buffer.from(`\0ABSYNC-END-${token} `), data: onData, settle, progress, ended: false });
      this.channel.write(`(\n${script}\n) </dev/null 2>/dev/null; printf '\\0ABSYNC-END-${token} %d\\0' "$?"\n`);
    });
  }

  close(): void {
    this.die(new Error('the remote shell was closed'));
    this.channel.end();
  }
}
