/**
 * One `sh` per connection on an exec channel, fed scripts on its stdin, each answered up to a marker with a random
 * token and the script's exit status. Starting a command over SSH runs the account's login shell with its startup
 * files (0.3-0.4 s for root here, whose ~/.bashrc runs pyenv): a shell kept open pays that once, not per command.
 * Scripts run one at a time, in a subshell with stdin from /dev/null (so no command can eat the ones after it) and
 * stderr discarded; a script that needs data gets it inside its own text.
 */
import { randomBytes } from 'node:crypto';
import type ssh2 from 'ssh2';
import type { SftpSession } from './session.js';

/** A script's exit status and what it printed. */
export interface ShellResult {
  readonly code: number;
  readonly stdout: Buffer;
}

interface Job {
  readonly marker: Buffer;
  readonly settle: (err: Error | undefined, value?: ShellResult) => void;
  readonly progress: () => void;
}

export class RemoteShell {
  private buffered: Buffer[] = [];
  private size = 0;
  /** Where the current job's end marker starts in the buffered output, once seen. */
  private markerAt = -1;
  private readonly jobs: Job[] = [];
  private dead: Error | undefined;

  private constructor(private readonly session: SftpSession, private readonly channel: ssh2.ClientChannel) {
    channel.on('data', (d: Buffer) => this.take(d));
    channel.stderr.on('data', () => undefined);
    // A dropped connection closes its channels before the client says it closed: fail the scripts a moment later,
    // so that they fail with the session's failure (its cause) when that is what happened.
    channel.on('close', () => setTimeout(() => this.die(session.failed ?? new Error('the remote shell ended')), 50));
  }

  static async start(session: SftpSession): Promise<RemoteShell> {
    return new RemoteShell(session, await session.openExec('sh'));
  }

  private die(err: Error): void {
    this.dead ??= err;
    for (const job of this.jobs.splice(0)) job.settle(this.dead);
  }

  private take(d: Buffer): void {
    this.buffered.push(d);
    this.size += d.length;
    this.jobs[0]?.progress();
    // One chunk may end one script's output and hold the next ones' whole: finish every job it completes.
    for (let fresh = d.length; this.jobs.length > 0 && this.finish(fresh); fresh = this.size);
  }

  /** Finishes the current job if its marker and status are in; `fresh` is how many buffered bytes are unsearched. */
  private finish(fresh: number): boolean {
    const job = this.jobs[0] as Job;
    if (this.markerAt < 0) {
      // Search only the new bytes, with the end of the chunk before (the marker may straddle two chunks): a long
      // output is not copied chunk after chunk.
      const last = this.buffered[this.buffered.length - 1];
      if (!last) return false;
      const before = fresh >= last.length ? this.buffered[this.buffered.length - 2] : undefined;
      const tail = before ? before.subarray(Math.max(0, before.length - job.marker.length + 1)) : Buffer.alloc(0);
      const window = tail.length > 0 ? Buffer.concat([tail, last]) : last;
      const at = window.indexOf(job.marker, Math.max(0, window.length - fresh - tail.length));
      if (at < 0) return false;
      this.markerAt = this.size - window.length + at;
    }
    const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered, this.size);
    this.buffered = [all];
    const end = all.indexOf(0, this.markerAt + job.marker.length);
    if (end < 0) return false;
    const code = Number(all.toString('latin1', this.markerAt + job.marker.length, end));
    const stdout = all.subarray(0, this.markerAt);
    const rest = all.subarray(end + 1);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    this.markerAt = -1;
    this.jobs.shift();
    job.settle(undefined, { code, stdout });
    return true;
  }

  /** Runs `script`; resolves with its status and stdout. Fails when the shell or the session is gone. */
  run(script: string): Promise<ShellResult> {
    if (this.dead) return Promise.reject(this.dead);
    const token = randomBytes(12).toString('hex');
    return this.session.track<ShellResult>((settle, progress) => {
      this.jobs.push({ marker: Buffer.from(`\0ABSYNC-END-${token} `), settle, progress });
      this.channel.write(`(\n${script}\n) </dev/null 2>/dev/null; printf '\\0ABSYNC-END-${token} %d\\0' "$?"\n`);
    });
  }

  close(): void {
    this.die(new Error('the remote shell was closed'));
    this.channel.end();
  }
}
