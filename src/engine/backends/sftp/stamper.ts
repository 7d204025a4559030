/**
 * The connection's perl helper, where the server has perl (Time::HiRes is part of core perl): one perl on an exec
 * channel that sets sub-second mtimes and, once it runs, takes file writes, new folders and attributes too
 * (write-helper.ts). SFTP v3 sets whole
 * seconds only, and a `touch` per file cost 4 ms of process start here (20k files: 80 s); this costs none.
 *
 * Protocol: NUL-ended fields on stdin. A time is `time\0path\0`, answered `1` or `0`; a write is `W` and eight fields,
 * then the bytes and K (keep) or A (abandon), answered `1`, `A`, `C` (the name is not as the scan saw it), `P<n><why>`
 * (the n-th folder on the way is a link, not a folder, or was swapped) or `E<errno name>`. `M` makes a folder and `S`
 * sets a folder's or file's mode and mtime (write-helper.ts), answered the same way; `U` removes the run's lock
 * file if it still holds the run's text (`1`, or `C` when it does not); `F` (unanswered) makes the next
 * record enter its folder afresh; `X` runs a shell script, answered by its output in frames and its status. perl
 * prints its answers whenever it has read everything sent so far, and a marker when it starts (READY). Times are
 * sent half a microsecond above the target so that the double perl parses lands inside the microsecond. A link on a time's path is not followed
 * (checked with -l just before; links get their times from `touch -h`). A time before 1970 is answered "0"
 * (Time::HiRes dies on one; remote-times.ts sends those to touch instead).
 */
import pLimit from 'p-limit';
import type ssh2 from 'ssh2';
import type { RemoteShell } from './remote-shell.js';
import type { SftpSession } from './session.js';
import { shQuote } from './shell.js';

/** A path and the mtime to give it. */
export interface StampItem {
  readonly path: string;
  readonly mtimeMs: number;
}

/** Bytes of write records read but not yet answered, at most: four times the 2 MiB channel window OpenSSH gives (many mid-size files read at once would hold them all). */
const HOLD_MAX = 8 << 20;

/** A record's weight in Stamper.load, in bytes. */
export const RECORD_COST = 8 << 10;

/** Times one shell batch carries at most (its script holds each path). */
const BATCH = 1000;

const SCRIPT = [
  // Handles without PerlIO's buffer layer: no isatty ioctl and lseek per file opened (two of a write's nine calls).
  'use Time::HiRes qw(utime time lstat stat); use Fcntl; use open qw(IO :unix);',
  '$| = 1; $SIG{PIPE} = "IGNORE"; binmode STDIN; binmode STDOUT; $/ = "\\0"; my $out = ""; my $um = umask; print "\\0absync-perl\\0";',
  'my ($rid, $cur, $cst); my $in = "";',
  // Input is read in big chunks; what perl has to say goes out whenever it has read all it was sent (before it waits).
  'sub more { if ($out ne "") { print $out; $out = "" } my $n = sysread(STDIN, $in, 262144, length $in); defined $n && $n > 0 }',
  'sub f { my $i; until (($i = index($in, "\\0")) >= 0) { more() or exit 0 } my $x = substr($in, 0, $i); substr($in, 0, $i + 1, ""); $x }',
  'sub bytes { my $n = shift; while (length $in < 1) { more() or exit 1 } substr($in, 0, $n < length $in ? $n : length $in, "") }',
  'sub en { my ($n) = grep { $!{$_} } keys %!; "E" . ($n || "EIO") . "\\0" }',
  'sub isdir { (($_[0] // 0) & 61440) == 16384 }',
  'sub same { $_[0][0] == $_[1][0] && $_[0][1] == $_[1][1] }',
  // Enter a folder without following a link: each step is lstat, chdir, then stat(".") must be what lstat saw.
  // P<n><why>: the n-th folder of the path (0: the root) is a link (l), not a folder (f), or was swapped meanwhile (s).
  'sub refuse { my ($n, $m) = @_; "P$n" . ((($m // 0) & 61440) == 40960 ? "l" : "f") . "\\0" }',
  'sub enter { my ($root, $rel) = @_; my @l = lstat($root); @l or return en(); isdir($l[2]) or return refuse(0, $l[2]);',
  '  chdir($root) or return en(); my @s = stat("."); (@s && same(\\@l, \\@s)) or return "P0s\\0";',
  '  $rid //= "$root\\0$s[0]:$s[1]"; $rid eq "$root\\0$s[0]:$s[1]" or return "P0s\\0"; my $n = 0;',
  '  for my $c (split m{/}, $rel) { $n++; @l = lstat($c); @l or return en(); isdir($l[2]) or return refuse($n, $l[2]);',
  '    chdir($c) or return en(); @s = stat("."); (@s && same(\\@l, \\@s)) or return "P${n}s\\0"; } "" }',
  // The folder a record names, entered once for the records that follow it (until F, or another folder).
  'sub at { my ($root, $rel) = @_; if (!defined $cur || $cur ne "$root\\0$rel") { $cst = enter($root, $rel); $cur = $cst eq "" ? "$root\\0$rel" : undef; } $cst }',
  // Into place: a new file only where nothing is; an update only over what the scan saw.
  'sub commit { my ($tmp, $name, $exp) = @_;',
  '  if ($exp eq "") { my @x = lstat($name); return "C" if @x; return rename($tmp, $name) ? "" : en(); }',
  '  my ($k, $sz, $sec) = split / /, $exp; my @x = lstat($name);',
  '  if (@x) { my $m = $x[2] & 61440; return "C" unless $m == ($k eq "f" ? 32768 : 40960);',
  '    return "C" if $sz ne "-" && $x[7] != $sz; return "C" if $sec ne "-" && !($x[9] >= $sec && $x[9] < $sec + 1); }',
  '  rename($tmp, $name) ? "" : en() }',
  'while (1) { my $t = f();',
  '  if ($t eq "") { print $out; $out = ""; next; }',
  // F: forget the folder entered last (each batch enters its folder afresh: the run may have moved folders meanwhile).
  '  if ($t eq "F") { $cur = undef; next; }',
  // M: make a folder (owner-writable until its children are in); one that is there already is fine.
  '  if ($t eq "M") { my ($root, $rel, $name) = map { f() } 1 .. 3; my $st = at($root, $rel);',
  '    if ($st eq "" && !mkdir($name, 0700)) { if ($!{EEXIST}) { my @x = lstat($name); $st = (@x && isdir($x[2])) ? "" : "C" } else { $st = en() } }',
  '    $out .= $st eq "" ? "1" : $st; next; }',
  // S: mode and mtime of a folder or file, on a handle opened without following a link (never blocking on a FIFO).
  '  if ($t eq "S") { my ($root, $rel, $name, $kind, $mode, $mt) = map { f() } 1 .. 6; my $st = at($root, $rel); my $fh;',
  '    if ($st eq "") { sysopen($fh, $name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | ($kind eq "d" ? O_DIRECTORY : 0)) or do { $st = ($!{ELOOP} || $!{ENOTDIR}) ? "C" : en(); undef $fh } }',
  '    if ($fh) { my @x = stat($fh); $st = "C" unless @x && ($x[2] & 61440) == ($kind eq "d" ? 16384 : 32768);',
  '      if ($st eq "" && $mode ne "-") { chmod(oct($mode), $fh) or $st = en() }',
  '      if ($st eq "" && $mt ne "-") { ($mt >= 0 && utime(time(), $mt, $fh)) or $st = en() }',
  '      close($fh); }',
  '    $out .= $st eq "" ? "1" : $st; next; }',
  // U: remove the lock file named, if it still holds this run's text (read on a handle that follows no link).
  '  if ($t eq "U") { my ($root, $name, $text) = map { f() } 1 .. 3; my $st = at($root, ""); my $fh; my $d = "";',
  '    if ($st eq "") { if (sysopen($fh, $name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) { my @x = stat($fh);',
  '        sysread($fh, $d, 4097) if @x && ($x[2] & 61440) == 32768 && $x[7] <= 4096; close($fh);',
  '        $st = $d eq $text ? (unlink($name) ? "" : en()) : "C" } else { $st = ($!{ELOOP} || $!{ENXIO}) ? "C" : en() } }',
  '    $out .= $st eq "" ? "1" : $st; next; }',
  // X: a shell script, its output relayed as it comes in frames O<n>\\0<n bytes>, then Z<status>\\0: the connection's
  // shell without a login shell of its own. sh reads the script from a pipe perl fills (an argument holds 128 KiB at
  // most), then runs it with stdin from /dev/null and stderr dropped, in the login folder.
  '  if ($t eq "X") { my $s = f(); if ($out ne "") { print $out; $out = "" } my ($sr, $sw, $kid);',
  '    pipe($sr, $sw) or do { $out .= "Z126\\0"; next }; my $pid = open($kid, "-|");',
  '    if (defined $pid && $pid == 0) { close($sw); open(STDIN, "<&", $sr); close($sr); open(STDERR, ">", "/dev/null");',
  '      chdir($ENV{HOME} || "/"); $SIG{PIPE} = "DEFAULT"; exec("sh", "-c", q{absync_script=$(cat) && exec </dev/null && eval "$absync_script"}); exit 127; }',
  '    close($sr); if (!defined $pid) { close($sw); $out .= "Z126\\0"; next; }',
  '    for (my $o = 0; $o < length $s;) { my $w = syswrite($sw, $s, 65536, $o); last unless $w; $o += $w } close($sw);',
  '    my $ob; while (my $n = sysread($kid, $ob, 65536)) { print "O$n\\0$ob" }',
  '    close($kid); my $c = $?; $out .= "Z" . (($c & 127) ? 128 + ($c & 127) : $c >> 8) . "\\0"; next; }',
  '  if ($t eq "W") { my ($root, $rel, $tmp, $name, $mode, $mt, $size, $exp) = map { f() } 1 .. 8;',
  '    my $st = at($root, $rel); my $fh; my $m = oct($mode); my $made = $m & 0755 & ~$um;',
  // Made with its mode where the umask lets it (never set-id, nor writable by others while written): no chmod after.
  '    if ($st eq "") { sysopen($fh, $tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, $made) or do { $st = en(); undef $fh } }',
  '    for (my $left = $size; $left > 0;) { my $d = bytes($left); my $n = length $d; $left -= $n;',
  '      for (my $o = 0; $fh && $st eq "" && $o < $n;) { my $w = syswrite($fh, $d, $n - $o, $o); if (defined $w) { $o += $w } else { $st = en() } } }',
  '    my $k = bytes(1);',
  '    if ($fh) { if ($st eq "" && $k eq "K") { ($mt >= 0 && ($made == $m || chmod($m, $fh)) && utime(time(), $mt, $fh)) or $st = en(); }',
  '      close($fh) or $st eq "" and $st = en(); $st = commit($tmp, $name, $exp) if $st eq "" && $k eq "K";',
  '      unlink($tmp) if $st ne "" || $k ne "K"; }',
  '    $out .= $st ne "" ? $st : $k eq "K" ? "1" : "A"; next; }',
  '  my $p = f();',
  '  $out .= ($t >= 0 && !-l $p && utime(time(), $t, $p)) ? "1" : "0";',
  '}',
].join(' ');

/** The perl command the stamper runs (also what the probe tries). */
export const STAMPER_COMMAND = `perl -e '${SCRIPT}'`;

/** What perl prints first: it runs. What came before it (a login shell's startup files may print) is dropped. */
const READY = Buffer.from('\0absync-perl\0');
/** What the helper's command prints where perl could not start (not installed, or without a module it uses). */
const NO_PERL = Buffer.from('\0absync-no-perl\0');

/**
 * The helper's channel: perl, or where it cannot start, a word saying so (commands run but perl does not: the
 * caller starts a plain `sh`). An account that may not run commands prints neither.
 */
export const HELPER_COMMAND = `${STAMPER_COMMAND} || printf '\\0absync-no-perl\\0'`;

/** What a perl run from a script printed after it said it runs (empty where it did not run). */
export function afterReady(stdout: Buffer): Buffer {
  const at = stdout.indexOf(READY);
  return at < 0 ? Buffer.alloc(0) : stdout.subarray(at + READY.length);
}

/** `seconds.micros5`: the microsecond of `ms`, plus half a microsecond (see the header). */
export function stampTime(ms: number): string {
  const us = Math.round(ms * 1000);
  const sec = Math.floor(us / 1e6);
  return `${sec}.${String(us - sec * 1e6).padStart(6, '0')}5`;
}

/** A script's output (an X record), awaited in turn with the other records' answers. */
interface Output {
  readonly data: (chunk: Buffer) => void;
  readonly settle: (err: Error | undefined, code?: number) => void;
  readonly progress: () => void;
}

/**
 * Opens its exec channel on `warm()` (the probe) or first use, and is the connection's shell too (exec, HelperShell):
 * a login shell costs the server a process start and, for an account whose ~/.bashrc does work, much of a core, so a
 * connection starts one. Until perl says it runs, files go over SFTP; times asked of a stamper whose perl did not
 * start go in batches through the connection's shell, one perl per batch (a few ms each), one batch at a time with
 * whatever was asked meanwhile.
 */
export class Stamper {
  /**
   * Answers awaited, in the order their requests were written: `1`, `0`, `A`, `C`, `P<n>` or `E<errno name>`, or a
   * script's output frames.
   */
  private readonly waiting: (((answer: string) => void) | Output)[] = [];
  /** What came before perl said it runs (the marker may straddle two chunks). */
  private pre: Buffer = Buffer.alloc(0);
  /** Bytes of a script's output frame still to come. */
  private body = 0;
  /** The helper's command said perl could not start (see HELPER_COMMAND). */
  private noPerl = false;
  /** The channel, once open (undefined when it could not open, or the stamper was closed first). */
  private attached: Promise<ssh2.ClientChannel | undefined> | undefined;
  /** Answers taken so far. */
  private answered = 0;
  /** An answer with text (`P`, `E`) whose closing NUL has not come yet. */
  private partial: string | undefined;
  /** A write record is being streamed: nothing else may be written into the middle of it. */
  private busy = false;
  /** Write records go one after another, each whole. */
  private readonly records = pLimit(1);
  /** Bytes queued for the channel (put), and whether their write is due at the end of this tick. */
  private out: Buffer[] = [];
  private outBytes = 0;
  private pushing = false;
  private dead = false;
  private closed = false;
  private channel: ssh2.ClientChannel | undefined;
  /** perl has said it runs. */
  private ready = false;
  private opening = false;
  /** Records of this turn of the event loop (or from before the channel opened), sent together. */
  private queued: string[] = [];
  /** One folder's records at a time (inTurn). */
  private readonly turns = pLimit(1);
  /** Bytes held for unanswered write records (room), and who waits for some to be let go. */
  private readonly held = [0, 0];
  private readonly roomWaiters: (() => void)[][] = [[], []];
  /** Writes waiting for the channel's window (drained). */
  private readonly drainWaiters = new Set<() => void>();
  /** Settles once perl has said it runs (true), or the helper could not start or ended first (false). */
  private readonly runs: Promise<boolean>;
  private settleRuns: (running: boolean) => void = () => undefined;
  /** Times waiting for the shell's next batch, and whether a batch is on its way. */
  private batch: { readonly item: StampItem; readonly done: (ok: boolean) => void }[] = [];
  private batching = false;

  constructor(private readonly session: SftpSession) {
    this.runs = new Promise((resolve) => {
      this.settleRuns = resolve;
    });
  }

  /** Starts the helper if it is not started, and resolves once perl runs (true) or it could not start (false). */
  started(): Promise<boolean> {
    this.warm();
    return this.closed ? Promise.resolve(false) : this.runs;
  }

  /** Starts the channel now, so that the first stamps do not wait for the login shell. */
  warm(): void {
    if (this.opening || this.closed) return;
    this.opening = true;
    this.attached = this.session.openExec(HELPER_COMMAND).then(
      (ch) => this.attach(ch),
      () => {
        this.end();
        return undefined;
      },
    );
  }

  private attach(channel: ssh2.ClientChannel): ssh2.ClientChannel | undefined {
    if (this.closed) {
      channel.end();
      this.end();
      return undefined;
    }
    this.channel = channel;
    channel.on('data', (d: Buffer) => this.take(d));
    channel.stderr.on('data', () => undefined);
    // A dropped connection closes its channels before the client says it closed: answer a moment later, so that
    // callers see the session's failure (its cause) rather than a stamp that merely did not happen.
    channel.on('close', () => setTimeout(() => this.end(), 50).unref());
    this.flush();
    return channel;
  }

  private take(chunk: Buffer): void {
    let d = chunk;
    // perl's marker says it runs (the login shell has started it): from now on stamps and writes go to it.
    if (!this.ready) {
      const seen = this.pre.length > 0 ? Buffer.concat([this.pre, d]) : d;
      const at = seen.indexOf(READY);
      if (at < 0) {
        if (seen.indexOf(NO_PERL) >= 0) this.noPerl = true;
        this.pre = seen.subarray(Math.max(0, seen.length - NO_PERL.length));
        return;
      }
      this.ready = true;
      this.pre = Buffer.alloc(0);
      d = seen.subarray(at + READY.length);
      this.settleRuns(true);
    }
    let i = 0;
    while (i < d.length) {
      const head = this.waiting[0];
      if (this.body > 0 && typeof head === 'object') {
        const n = Math.min(this.body, d.length - i);
        head.progress();
        head.data(d.subarray(i, i + n));
        this.body -= n;
        i += n;
        continue;
      }
      if (this.partial !== undefined) {
        const end = d.indexOf(0, i);
        this.partial += d.toString('latin1', i, end < 0 ? d.length : end);
        if (end < 0) return;
        const answer = this.partial;
        this.partial = undefined;
        i = end + 1;
        if (typeof head === 'object') {
          // A script's frame: O<n> (n bytes of output follow) or Z<status> (it ended).
          if (answer.startsWith('O')) this.body = Number(answer.slice(1));
          else {
            this.waiting.shift();
            head.settle(undefined, Number(answer.slice(1)));
          }
          continue;
        }
        this.answered++;
        this.waiting.shift();
        head?.(answer);
        continue;
      }
      const c = d[i++] as number;
      // A NUL where an answer starts: perl ended, and its command's NO_PERL follows.
      if (c === 0) return this.end();
      // P (a folder on the way is not one) and E (an errno name) carry ASCII text up to a NUL, as a frame's head does.
      if (c === 0x50 || c === 0x45 || typeof head === 'object') this.partial = String.fromCharCode(c);
      else {
        this.answered++;
        this.waiting.shift();
        head?.(String.fromCharCode(c));
      }
    }
  }

  private end(): void {
    this.dead = true;
    for (const wake of [...this.drainWaiters]) wake();
    this.settleRuns(false);
    this.queued = [];
    for (const w of this.waiting.splice(0)) {
      if (typeof w === 'function') w('X');
      else w.settle(this.endedError());
    }
  }

  /** Why a script did not run or finish: the session's failure, or the helper's end. */
  private endedError(): Error {
    return this.session.failed ?? new Error('the server helper ended');
  }

  /** The helper ran and has ended (its channel closed) while it was not closed by its owner. */
  get ended(): boolean {
    return this.ready && this.dead && !this.closed;
  }

  /** The helper's command said perl could not start, where commands run (a plain `sh` may do what it cannot). */
  get perlMissing(): boolean {
    return this.noPerl;
  }

  /**
   * Runs a shell script (no NUL in it) in turn with the records: resolves with its status, its output handed to
   * `onData` as it arrives. Sent as soon as the channel is open, before perl has said it runs: where perl does not
   * start, nothing reads the channel (see HELPER_COMMAND), and the script fails when the channel closes.
   */
  exec(script: string, onData: (chunk: Buffer) => void): Promise<number> {
    this.warm();
    if (this.closed || this.dead) return Promise.reject(this.endedError());
    return this.session.track<number>((settle, progress) => {
      void this.records(async () => {
        const ch = await this.attached;
        if (!ch || this.dead || this.closed) return settle(this.endedError());
        this.flush();
        this.waiting.push({ data: onData, settle, progress });
        this.put(Buffer.from(`X\0${script}\0`));
      });
    });
  }

  /**
   * Sets each path's mtime (the path must not contain NUL); true where it worked. `shell` (the connection's) carries
   * them while the stamper is not running yet.
   */
  stamp(items: readonly StampItem[], shell?: RemoteShell): Promise<boolean[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.resolve(items.map(() => false));
    // A stamper that could not start, or ended, leaves the shell to carry the times (a dropped connection fails both).
    if ((!this.ready || this.dead) && shell) return this.throughShell(shell, items);
    if (this.dead) return Promise.resolve(items.map(() => false));
    this.warm();
    return this.session.track<boolean[]>((settle, progress) => {
      const out: boolean[] = [];
      for (const _ of items) {
        this.waiting.push((answer) => {
          progress();
          out.push(answer === '1');
          if (out.length === items.length) settle(undefined, out);
        });
      }
      if (this.queued.length === 0) setImmediate(() => this.flush());
      for (const it of items) this.queued.push(`${stampTime(it.mtimeMs)}\0${it.path}\0`);
    });
  }

  /** Sends what stamp() queued (not into the middle of a write record), ended by the terminator perl answers on. */
  private flush(): void {
    if (!this.channel || this.busy || this.queued.length === 0) return;
    const records = this.queued;
    this.queued = [];
    this.put(Buffer.from(`${records.join('')}\0`));
  }

  /** Bytes of write records sent or read for sending and not yet answered. */
  get unanswered(): number {
    return (this.held[0] as number) + (this.held[1] as number);
  }

  /**
   * What this helper still has to do: bytes unanswered, and each answer awaited at about what perl's system calls
   * for a record cost (a folder made or given its times costs it as much as a small file's bytes).
   */
  get load(): number {
    return this.unanswered + this.waiting.length * RECORD_COST;
  }

  /** Answers taken so far (traces and tests). */
  get answers(): number {
    return this.answered;
  }

  /** perl runs: file writes can go to it (write-helper.ts) instead of SFTP's round trips. */
  get writing(): boolean {
    return this.ready && !this.dead && !this.closed && this.channel !== undefined && !this.session.failed;
  }

  /**
   * Waits until the channel has room again: the server has taken some (progress), or the channel closed. Tracked, so
   * that a dropped connection (whose channels may never say they closed) or a stalled server ends it with the
   * session's failure instead of holding every later record.
   */
  private drained(ch: ssh2.ClientChannel): Promise<void> {
    return this.session.track<void>((settle) => {
      const done = (): void => {
        ch.off('drain', done);
        ch.off('close', done);
        this.drainWaiters.delete(done);
        settle(undefined);
      };
      // A channel that closed before this wait began (perl killed on the server) says so no more: end() wakes it.
      if (this.dead) return done();
      this.drainWaiters.add(done);
      ch.on('drain', done);
      ch.on('close', done);
    });
  }

  /**
   * Runs `send` (which writes one folder's records) in that folder's turn, after an F: perl enters the folder afresh
   * and writes one folder after another, as rsync does, instead of files of many folders in turn (a file system
   * allocates a folder's new inodes near it; a folder-by-folder prototype was faster than rsync on this machine's busy
   * disk, though its swings were too large to show the turn's own gain). The turn ends once its records are queued,
   * in order, behind the ones before.
   */
  inTurn<T>(send: () => Promise<T>): Promise<T> {
    return this.turns(() => {
      void this.write(Buffer.from('F\0'), 0, undefined, false);
      return send();
    });
  }

  /**
   * Waits until `bytes` more may be held for write records not yet answered; resolves with the function that lets
   * them go (call it once the answer is in, or the record was not sent). Two budgets: records read inside their
   * folder's turn, and batches read ahead of it (`ahead`), which hold their bytes while they wait for the turn; one
   * budget for both could leave a turn waiting for bytes that only a later turn lets go.
   */
  async room(bytes: number, ahead = false): Promise<() => void> {
    const k = ahead ? 1 : 0;
    while ((this.held[k] as number) > 0 && (this.held[k] as number) + bytes > HOLD_MAX) await new Promise<void>((resolve) => this.roomWaiters[k]?.push(resolve));
    this.held[k] = (this.held[k] as number) + bytes;
    let gone = false;
    return () => {
      if (gone) return;
      gone = true;
      this.held[k] = (this.held[k] as number) - bytes;
      for (const wake of this.roomWaiters[k]?.splice(0) ?? []) wake();
    };
  }

  /**
   * Sends `count` whole write records laid out one after another in `segments` (write-helper.ts's batches), in one
   * turn of `records`; resolves with perl's answers in order, `X` for each if the helper ended first.
   */
  writeRecords(segments: readonly Buffer[], count: number): Promise<string[]> {
    const none = (): string[] => new Array<string>(count).fill('X');
    let answers!: Promise<string[]>;
    const written = this.records(async () => {
      const ch = this.channel;
      if (!this.writing || !ch) {
        answers = Promise.resolve(none());
        return;
      }
      this.flush();
      answers = this.session.track<string[]>((settle, progress) => {
        const out: string[] = [];
        for (let k = 0; k < count; k++) {
          this.waiting.push((a) => {
            progress();
            if (out.push(a) === count) settle(undefined, out);
          });
        }
      });
      answers.catch(() => undefined);
      let room = true;
      for (const s of segments) room = this.put(s) && room;
      if (!room) await this.drained(ch);
    });
    return written.then(() => answers, none);
  }

  /** Sends one whole write record (head, bytes, K) in one write; resolves with perl's answer, `X` if it ended first. */
  writeWhole(record: Buffer): Promise<string> {
    return this.write(record, 0);
  }

  /**
   * Sends one write record: `head`, then `size` bytes that `body` streams through its `send` (zeros make up what it
   * did not send, if it failed), then K (keep) or A (abandon: the source changed while it was read) as `body`
   * resolves true or false. Records go one at a time, whole; resolves with perl's answer, `X` if the helper ended
   * first.
   */
  write(head: Buffer, size: number, body?: (send: (b: Buffer) => Promise<void>) => Promise<boolean>, answered = true): Promise<string> {
    // `answered` false: a record perl does not answer (F).
    let answer!: Promise<string>;
    const written = this.records(async () => {
      const ch = this.channel;
      if (!this.writing || !ch) {
        answer = Promise.resolve('X');
        return;
      }
      this.flush();
      let progress = (): void => undefined;
      answer = answered
        ? this.session.track<string>((settle, tick) => {
          progress = tick;
          this.waiting.push((a) => settle(undefined, a));
        })
        : Promise.resolve('1');
      answer.catch(() => undefined);
      this.busy = true;
      let sent = 0;
      const send = async (b: Buffer): Promise<void> => {
        if (this.dead) throw new Error('the server helper ended');
        if (sent + b.length > size) throw new Error('more bytes than the record said');
        sent += b.length;
        if (this.put(b)) return;
        await this.drained(ch);
        progress();
      };
      try {
        if (!body) {
          // A whole record: written at once; the next waits for the window if this one filled it.
          if (!this.put(head)) await this.drained(ch);
          return;
        }
        this.put(head);
        const keep = (await body(send).catch(() => false)) && sent === size;
        // perl reads exactly `size` bytes: a body that stopped short is made up with zeros (and abandoned).
        for (let left = size - sent; left > 0 && !this.dead; left = size - sent) await send(Buffer.alloc(Math.min(left, 256 << 10)));
        this.put(Buffer.from(keep ? 'K' : 'A'));
      } finally {
        this.busy = false;
        // Times asked for while the record went.
        this.flush();
      }
    });
    // The next record waits until this one is written (records), not answered.
    return written.then(() => answer, () => 'X');
  }

  /**
   * Queues bytes for the channel, sent in whole packets: what was queued is topped up from `b` to one packet, `b`'s
   * whole packets follow, and its tail waits for the next bytes or the end of this tick. Each SSH packet costs a
   * padding, a MAC and a write of its own on both sides; a 20k-file first copy sent 8,200 packets for 164 MB where
   * 5,000 carry it. False when the channel wants a drain.
   */
  private put(b: Buffer): boolean {
    const packet = (this.channel as unknown as { outgoing?: { packetSize?: number } } | undefined)?.outgoing?.packetSize ?? 32 << 10;
    let ok = true;
    if (this.outBytes + b.length < packet) {
      this.out.push(b);
      this.outBytes += b.length;
    } else {
      let at = 0;
      if (this.outBytes > 0) {
        at = packet - this.outBytes;
        this.out.push(b.subarray(0, at));
        this.outBytes = packet;
        ok = this.push();
      }
      const whole = at + Math.floor((b.length - at) / packet) * packet;
      if (whole > at) ok = this.emit(b.subarray(at, whole)) && ok;
      if (whole < b.length) {
        this.out.push(b.subarray(whole));
        this.outBytes = b.length - whole;
      }
    }
    if (this.outBytes > 0 && !this.pushing) {
      this.pushing = true;
      process.nextTick(() => {
        this.pushing = false;
        this.push();
      });
    }
    return ok && !(this.channel?.writableNeedDrain ?? false);
  }

  private push(): boolean {
    const data = this.out.length === 1 ? (this.out[0] as Buffer) : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    return data.length === 0 || this.emit(data);
  }

  private emit(data: Buffer): boolean {
    if (!this.channel || this.dead) return true;
    return this.channel.write(data);
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
        // perl's marker, then one byte per time; no marker (perl did not run): none was set.
        const bytes = afterReady(r.stdout);
        jobs.forEach((j, i) => j.done(bytes[i] === 0x31));
      },
      () => {
        for (const j of jobs) j.done(false);
      },
    ).finally(() => this.sendBatch(shell));
  }

  close(): void {
    this.closed = true;
    this.settleRuns(false);
    if (this.channel) this.channel.end();
    else this.end();
  }
}
