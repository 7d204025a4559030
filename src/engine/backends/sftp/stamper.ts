/**
 * Sub-second mtimes for files and folders where the server has perl (Time::HiRes, part of core perl): one perl per
 * connection on an exec channel, reading `time\0path\0` records and answering one byte each, pipelined. Requests made
 * in one turn of the event loop go as one write, ended by an empty record, and are answered in one write. SFTP v3 sets
 * whole seconds only, and a `touch` per file cost 4 ms of process start here (20k files: 80 s); this costs none.
 * Times are sent half a microsecond above the target so that the double perl parses lands inside the microsecond.
 * A link on the path is not followed (checked with -l just before; links get their times from `touch -h`). A time
 * before 1970 is answered "0" (Time::HiRes dies on one; remote-times.ts sends those to touch instead).
 */
import type ssh2 from 'ssh2';
import type { SftpSession } from './session.js';

const SCRIPT = [
  'use Time::HiRes qw(utime time);',
  '$| = 1; binmode STDIN; binmode STDOUT; $/ = "\\0"; my $out = "";',
  'while (defined(my $t = <STDIN>)) {',
  '  chomp $t; if ($t eq "") { print $out; $out = ""; next; }',
  '  my $p = <STDIN>; last unless defined $p; chomp $p;',
  '  $out .= ($t >= 0 && !-l $p && utime(time(), $t, $p)) ? "1" : "0";',
  '}',
  'print $out;',
].join(' ');

/** The perl command the stamper runs (also what the probe tries). */
export const STAMPER_COMMAND = `perl -e '${SCRIPT}'`;

/** `seconds.micros5`: the microsecond of `ms`, plus half a microsecond (see the header). */
export function stampTime(ms: number): string {
  const us = Math.round(ms * 1000);
  const sec = Math.floor(us / 1e6);
  return `${sec}.${String(us - sec * 1e6).padStart(6, '0')}5`;
}

export class Stamper {
  private readonly waiting: ((ok: boolean) => void)[] = [];
  private dead = false;
  /** Records of this turn of the event loop, sent together. */
  private queued: string[] = [];

  private constructor(private readonly session: SftpSession, private readonly channel: ssh2.ClientChannel) {
    channel.on('data', (d: Buffer) => {
      for (const byte of d) this.waiting.shift()?.(byte === 0x31);
    });
    channel.stderr.on('data', () => undefined);
    channel.on('close', () => {
      this.dead = true;
      // A dropped connection closes its channels before the client says it closed: answer a moment later, so that
      // callers see the session's failure (its cause) rather than a stamp that merely did not happen.
      setTimeout(() => {
        for (const w of this.waiting.splice(0)) w(false);
      }, 50);
    });
  }

  static async start(session: SftpSession): Promise<Stamper> {
    return new Stamper(session, await session.openExec(STAMPER_COMMAND));
  }

  /** Sets each path's mtime (the path must not contain NUL); true where it worked. */
  stamp(items: readonly { readonly path: string; readonly mtimeMs: number }[]): Promise<boolean[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (this.dead) return Promise.resolve(items.map(() => false));
    return this.session.track<boolean[]>((settle, progress) => {
      const out: boolean[] = [];
      for (const _ of items) {
        this.waiting.push((ok) => {
          progress();
          out.push(ok);
          if (out.length === items.length) settle(undefined, out);
        });
      }
      if (this.queued.length === 0) setImmediate(() => this.flush());
      for (const it of items) this.queued.push(`${stampTime(it.mtimeMs)}\0${it.path}\0`);
    });
  }

  private flush(): void {
    const records = this.queued;
    this.queued = [];
    if (!this.dead) this.channel.write(Buffer.from(`${records.join('')}\0`));
  }

  close(): void {
    this.channel.end();
  }
}
