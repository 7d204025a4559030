/**
 * Sub-second mtimes for files and folders where the server has perl (Time::HiRes, part of core perl): one perl per
 * connection on an exec channel, reading `time\0path\0` records and answering one byte each, pipelined, after an `R`
 * when it starts. Requests made in one turn of the event loop go as one write, ended by an empty record, and are
 * answered in one write. SFTP v3 sets whole seconds only, and a `touch` per file cost 4 ms of process start here (20k
 * files: 80 s); this costs none. Times are sent half a microsecond above the target so that the double perl parses
 * lands inside the microsecond. A link on the path is not followed (checked with -l just before; links get their
 * times from `touch -h`). A time before 1970 is answered "0" (Time::HiRes dies on one; remote-times.ts sends those to
 * touch instead).
 */
import type ssh2 from 'ssh2';
import type { RemoteShell } from './remote-shell.js';
import type { SftpSession } from './session.js';
import { shQuote } from './shell.js';

/** A path and the mtime to give it. */
export interface StampItem {
  readonly path: string;
  readonly mtimeMs: number;
}

/** Times one shell batch carries at most (its script holds each path). */
const BATCH = 1000;
/** Past this many times asked through the shell, the stamper's own channel starts (a big run pays its login once). */
const WARM_AFTER = 2000;

const SCRIPT = [
  'use Time::HiRes qw(utime time);',
  '$| = 1; binmode STDIN; binmode STDOUT; $/ = "\\0"; my $out = ""; print "R";',
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

/**
 * Opens its exec channel on first use (or `warm()`): its login shell costs the server a process start and, for an
 * account whose ~/.bashrc does work, much of a core; a resync that changed nothing never pays it. Until perl runs on
 * it, times go in batches through the connection's shell, one perl per batch (a few ms each), one batch at a time
 * with whatever was asked meanwhile: neither a first copy nor a resync waits for the stamper's login shell.
 */
export class Stamper {
  private readonly waiting: ((ok: boolean) => void)[] = [];
  private dead = false;
  private closed = false;
  private channel: ssh2.ClientChannel | undefined;
  /** perl has said it runs. */
  private ready = false;
  private opening = false;
  /** Records of this turn of the event loop (or from before the channel opened), sent together. */
  private queued: string[] = [];
  /** Times asked for through the shell so far (past WARM_AFTER, the stamper's channel starts). */
  private asked = 0;
  /** Times waiting for the shell's next batch, and whether a batch is on its way. */
  private batch: { readonly item: StampItem; readonly done: (ok: boolean) => void }[] = [];
  private batching = false;

  constructor(private readonly session: SftpSession) {}

  /** Starts the channel now, so that the first stamps do not wait for the login shell. */
  warm(): void {
    if (this.opening || this.closed) return;
    this.opening = true;
    this.session.openExec(STAMPER_COMMAND).then((ch) => this.attach(ch), () => this.end());
  }

  private attach(channel: ssh2.ClientChannel): void {
    if (this.closed) {
      channel.end();
      return;
    }
    this.channel = channel;
    channel.on('data', (d: Buffer) => {
      let from = 0;
      // perl's first byte says it runs (the login shell has started it): from now on stamps go to it.
      if (!this.ready && d.length > 0) {
        this.ready = true;
        from = 1;
      }
      for (let i = from; i < d.length; i++) this.waiting.shift()?.(d[i] === 0x31);
    });
    channel.stderr.on('data', () => undefined);
    // A dropped connection closes its channels before the client says it closed: answer a moment later, so that
    // callers see the session's failure (its cause) rather than a stamp that merely did not happen.
    channel.on('close', () => setTimeout(() => this.end(), 50));
    this.flush();
  }

  private end(): void {
    this.dead = true;
    this.queued = [];
    for (const w of this.waiting.splice(0)) w(false);
  }

  /**
   * Sets each path's mtime (the path must not contain NUL); true where it worked. `shell` (the connection's) carries
   * them while the stamper is not running yet.
   */
  stamp(items: readonly StampItem[], shell?: RemoteShell): Promise<boolean[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.resolve(items.map(() => false));
    // A stamper that could not start, or ended, leaves the shell to carry the times (a dropped connection fails both).
    if ((!this.ready || this.dead) && shell) {
      this.asked += items.length;
      if (this.asked > WARM_AFTER) this.warm();
      return this.throughShell(shell, items);
    }
    if (this.dead) return Promise.resolve(items.map(() => false));
    this.warm();
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
    if (!this.channel || this.queued.length === 0) return;
    const records = this.queued;
    this.queued = [];
    if (!this.dead) this.channel.write(Buffer.from(`${records.join('')}\0`));
  }

  private throughShell(shell: RemoteShell, items: readonly StampItem[]): Promise<boolean[]> {
    return new Promise((resolve) => {
      const out: boolean[] = new Array<boolean>(items.length);
      let left = items.length;
      items.forEach((item, i) => {
        this.batch.push({
          item,
          done: (ok) => {
            out[i] = ok;
            if (--left === 0) resolve(out);
          },
        });
      });
      // The rest of this turn's times go with these.
      if (!this.batching) {
        this.batching = true;
        setImmediate(() => this.sendBatch(shell));
      }
    });
  }

  /** One perl on the shell for what is queued (up to BATCH times); the next batch goes when this one is answered. */
  private sendBatch(shell: RemoteShell): void {
    const jobs = this.batch.splice(0, BATCH);
    if (jobs.length === 0) {
      this.batching = false;
      return;
    }
    const words = jobs.map((j) => `${shQuote(stampTime(j.item.mtimeMs))} ${shQuote(j.item.path)}`).join(' \\\n');
    shell.run(`printf '%s\\0' ${words} | ${STAMPER_COMMAND}`).then(
      (r) => {
        // "R", then one byte per time; no "R" (perl did not run): none was set.
        const at = r.stdout.indexOf(0x52);
        const bytes = at < 0 ? Buffer.alloc(0) : r.stdout.subarray(at + 1);
        jobs.forEach((j, i) => j.done(bytes[i] === 0x31));
      },
      () => {
        for (const j of jobs) j.done(false);
      },
    ).finally(() => this.sendBatch(shell));
  }

  close(): void {
    this.closed = true;
    this.channel?.end();
  }
}
