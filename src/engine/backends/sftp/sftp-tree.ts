/**
 * A destination folder on another machine over SSH (ssh2; no `ssh` binary). SFTP for every change; where the account
 * may run commands, exec for the fast paths: one `find -printf` scan, remote `<algo>sum`, and sub-second mtimes set
 * with touch. Which of the two is probed once per connection (probe.ts). See remote-guard.ts for what SFTP can and
 * cannot guarantee against a folder swapped for a link on the server while a run goes on.
 */
import pLimit from 'p-limit';
import { AbsyncError, describeError } from '../../errors.js';
import type { HashAlgorithm } from '../../options.js';
import { baseName } from '../../paths.js';
import { isTempName } from '../../reserved.js';
import { traceLine, tracing } from '../../trace.js';
import type { DirEntry, RelPath, Snapshot } from '../../types.js';
import type { AttrItem, DestinationTree, HashTarget, LinkItem, RemoveItem, RenameItem, ScanRequest, SourceTree, StepResult, TreeCaps, TreeKind, TreeLock, WriteItem } from '../tree.js';
import { makeRemoteDirs } from './backup-remote.js';
import { type RemoteContext, remoteTempName } from './context.js';
import { makeDirs, setAttrs } from './dir-steps.js';
import { dirEntryOf, kindOfMode, remotePath } from './entries.js';
import { hashRemote } from './hash-remote.js';
import { rename, symlinks } from './link-steps.js';
import { type ExecCaps, NO_EXEC, type RemoteExec } from './probe.js';
import type { ShellResult } from './remote-shell.js';
import { RecordSlabs } from './record-slabs.js';
import { RECORD_COST, Stamper } from './stamper.js';
import { closeHandle, lstat, lstatOrGone, opendir, readdirBatch, type RemoteStats, rmdir, unlink } from './remote-fs.js';
import { RemoteParentGuard } from './remote-guard.js';
import { acquireRemoteLock, heldRemoteLock, treeLock } from './remote-lock.js';
import { remove } from './remove-steps.js';
import { findRecords, findRootCommand, parseFindOutput, scanExec } from './scan-exec.js';
import { scanSftp } from './scan-sftp.js';
import type { SftpSession } from './session.js';
import { DEFAULTS, type SftpTuning } from './ssh-options.js';
import { writeFiles } from './write-files.js';
import { helperMakeDirs, helperSetAttrs, helperTakes, helperTakesAttrs, helperUnlock, shellUnlock, writeThroughHelper } from './write-helper.js';

/** How the tree was set up by openSftpTree. */
export interface SftpTreeInit {
  readonly session: SftpSession;
  /** The remote root, absolute, with links on the way resolved. */
  readonly root: string;
  /** `user@host:/path` */
  readonly label: string;
  /** What the probe found, or the probe still running (openSftpTree's `deferProbe`). */
  readonly exec: RemoteExec | Promise<RemoteExec>;
  readonly tuning: SftpTuning;
  /** Absolute remote backup folder, if any. */
  readonly backup?: string;
  /** The probe's stamper, started with the probe (`exec.stamper` once perl is found to set times); closed with the tree. */
  readonly stamper?: Stamper;
  /** find's record of the root, asked for on the shell behind the probe's script (the first lock reads it). */
  readonly rootRecord?: Promise<ShellResult | undefined>;
  /** The run's lock, asked for on the shell behind the root's record (open-tree's lockAtOpen): taken, or not. */
  readonly earlyLock?: Promise<{ readonly text: string; readonly taken: boolean } | undefined>;
}

/** rootFrom's `looked` when only the early record may say (an LSTAT now would see the lock's own change). */
const NO_LOOK = Symbol('no look');

/**
 * A round trip shorter than this: a near server, written through one helper (startSecondWriter). A loaded machine
 * reads 4-5 ms on loopback; a far server (the bench's 20 ms, the tests' 10 ms) gains from a second channel's window.
 */
const NEAR_MS = 8;
/** Bytes of file writes through the helper after which a second one starts, for a far server (startSecondWriter). */
const WRITER_BYTES = 16 << 20;

/** Paths per hash() call where the server runs `<algo>sum` (hash-remote.ts splits bigger calls the same way). */
const EXEC_HASH_BATCH = 4000;

/** Runs the items `takes` accepts through `mine` and the others through `rest`, at once; results in the items' order. */
async function split<T>(items: readonly T[], takes: (item: T) => boolean, mine: (items: T[]) => Promise<StepResult[]>, rest: (items: T[]) => Promise<StepResult[]>): Promise<StepResult[]> {
  const taken = items.map(takes);
  const a = items.filter((_, i) => taken[i]);
  const b = items.filter((_, i) => !taken[i]);
  const [ra, rb] = await Promise.all([a.length > 0 ? mine(a) : [], b.length > 0 ? rest(b) : []]);
  let i = 0;
  let k = 0;
  return taken.map((t) => (t ? ra[i++] : rb[k++]) as StepResult);
}

export class SftpTree implements DestinationTree {
  readonly kind: TreeKind = 'sftp';
  readonly root: string;
  /** The remote root folder as an absolute path on the server. */
  readonly remoteRoot: string;
  /** The absolute remote backup folder, if any. */
  readonly backup: string | undefined;
  private exec: RemoteExec;
  private readonly ctx: RemoteContext;
  /** Resolves once `exec` holds what the probe found (at once when it had answered before the tree opened). */
  private readonly probed: Promise<void>;
  private closed = false;
  /** True while a deferred probe has not answered. */
  private probing: boolean;
  /** The lock made the root (it was not there): its scan cannot find much. */
  private madeRoot = false;
  /** Files written through perl and over SFTP (traced at close). */
  private helperWrites = 0;
  private sftpWrites = 0;
  /** Bytes of files handed to the helper so far, and the second writer started once they are many (startSecondWriter). */
  private helperBytes = 0;
  private second: Stamper | undefined;
  /** Per helper: the weight of calls given to it that have not finished (onLessBusy). */
  private readonly assigned = new Map<Stamper, number>();
  /** A lock release on its way (see setAttrs), and whether it went to perl (quickUnlock). */
  private unlocking: Promise<void> | undefined;
  private unlockOnHelper = false;
  /** fullyProbed's promise, once asked, and whether it has answered. */
  private moreProbed: Promise<void> | undefined;
  private moreKnown = false;
  /** find's record of the root from when the tree opened, until the first lock takes it. */
  private firstRoot: Promise<ShellResult | undefined> | undefined;
  private firstLock: SftpTreeInit['earlyLock'];

  constructor(private readonly init: SftpTreeInit) {
    this.root = init.label;
    this.remoteRoot = init.root;
    this.backup = init.backup;
    this.firstRoot = init.rootRecord;
    this.firstLock = init.earlyLock;
    // Until a deferred probe answers, the tree is SFTP only; everything that needs exec awaits `probed` first.
    this.exec = init.exec instanceof Promise ? { caps: NO_EXEC } : init.exec;
    this.probing = init.exec instanceof Promise;
    this.probed = init.exec instanceof Promise
      ? init.exec.then((found) => {
        this.probing = false;
        if (this.closed) {
          found.shell?.close();
          found.stamper?.close();
        } else this.exec = found;
      }, () => undefined)
      : Promise.resolve();
    const handles = init.session.limits.handles;
    const wanted = init.tuning.filesInFlight ?? DEFAULTS.filesInFlight;
    // Each upload holds a handle on one channel; stay below what the server allows per channel.
    const inFlight = handles !== undefined ? Math.min(wanted, Math.max(1, (handles - 8) * init.session.channelCount)) : wanted;
    const tree = this;
    this.ctx = {
      session: init.session,
      root: init.root,
      guard: new RemoteParentGuard(init.session, init.root),
      // A failed exec scan turns fine times off for the rest of the run: steps read the current capabilities.
      get exec() {
        return tree.exec;
      },
      files: pLimit(inFlight),
      probed: this.probed,
      fullyProbed: () => this.fullyProbed(),
      counts: { batched: 0 },
      slabs: new RecordSlabs(),
      ...(init.backup !== undefined ? { backup: init.backup } : {}),
    };
  }

  /** Whole seconds with SFTP alone (v3 carries no more); microseconds where exec sets and reads them. */
  get caps(): TreeCaps {
    const fine = this.exec.caps.fineTimes && this.exec.caps.find;
    return {
      mtimeStepUs: fine ? 1 : 1e6, ...(!fine && this.exec.why ? { mtimeStepWhy: this.exec.why } : {}),
      mtimeSlopUs: 0, modes: true, symlinks: true, caseInsensitive: false,
    };
  }

  /** Which scan this tree uses: 'exec' (find) or 'sftp'. */
  get scanMode(): 'exec' | 'sftp' {
    return this.exec.caps.find && this.exec.shell && this.init.tuning.scanMode !== 'sftp' ? 'exec' : 'sftp';
  }

  /** What the exec probe found (for --version, traces and tests). */
  get execCaps(): ExecCaps {
    return this.exec.caps;
  }

  /**
   * The probe's answer with what its second script finds (links' own times, the sums), asked once: behind the scan's
   * find where the tree scans by exec, else when first needed.
   */
  private fullyProbed(): Promise<void> {
    this.moreProbed ??= this.probed.then(async () => {
      const extra = await this.exec.more?.();
      this.moreKnown = true;
      if (!extra || this.closed) return;
      this.exec = { ...this.exec, caps: { ...this.exec.caps, linkTimes: extra.linkTimes && this.exec.caps.find, sums: extra.sums } };
    });
    return this.moreProbed;
  }

  /** Resolves once the exec probe has answered (for what reads the capabilities: the summary). */
  ready(): Promise<void> {
    return this.probed;
  }

  /** How many of the files written through the helper had their bytes read in batches (for traces and tests). */
  get batchedReads(): number {
    return this.ctx.counts.batched;
  }

  /** One request's round trip to the server in ms, as the root's lookup timed it (traces and tests). */
  get roundTrip(): number | undefined {
    return this.init.session.roundTripMs;
  }

  /** Records each running perl helper has answered, the first one's first (for traces and tests). */
  get helperAnswers(): number[] {
    return [this.exec.stamper, this.second].flatMap((h) => (h?.writing ? [h.answers] : []));
  }

  /** How many files this tree wrote through the perl helper and over SFTP (for traces and tests). */
  get written(): { readonly helper: number; readonly sftp: number } {
    return { helper: this.helperWrites, sftp: this.sftpWrites };
  }

  /**
   * Starts the connection's perl helper now and resolves with whether it runs (where it does, file writes and times
   * go through it). Runs start it themselves when they will write; this is for tests and tools.
   */
  async startHelper(): Promise<boolean> {
    await this.probed;
    return this.exec.stamper ? this.exec.stamper.started() : false;
  }

  async scan(request: ScanRequest): Promise<Snapshot> {
    const there = lstatOrGone(this.init.session, this.remoteRoot);
    there.catch(() => undefined);
    if (this.probing) {
      // A root that is not there yet, or that this run's lock has just made (a first copy), is listed without
      // waiting for the probe: over SFTP, which for an empty folder is one listing.
      if (!(await there)) return { root: this.root, entries: new Map() };
      if (!this.madeRoot) await this.probed;
    }
    // A root this run's lock has just made holds only the lock: one SFTP listing, not a find's process start.
    if (this.scanMode === 'exec' && this.exec.shell && !request.scope && !this.madeRoot) {
      // find is sent with the root's LSTAT, not after it: one round trip less.
      const scanning = scanExec(this.exec.shell, this.remoteRoot, this.root, request);
      // The probe's second script goes behind find: answered while the listing is parsed and the plan made. (Not
      // for a root the lock has just made: with nothing there no move is confirmed by a sum, and the first link
      // made asks for it; its dozen processes would compete with the plan.)
      void this.fullyProbed();
      const [r, root] = await Promise.all([scanning, there]);
      if (!root) return { root: this.root, entries: new Map() };
      if (r.ok) return r.snapshot;
      if (tracing()) traceLine(`sftp: exec scan of ${this.root} not usable (${r.why}); listing over SFTP`);
      // The SFTP scan reads whole seconds: compare at that precision from now on, so nothing looks changed.
      this.exec = { ...this.exec, caps: { ...this.exec.caps, find: false, fineTimes: false } };
    }
    if (!(await there)) return { root: this.root, entries: new Map() };
    return scanSftp({
      session: this.init.session,
      root: this.remoteRoot,
      label: this.root,
      request,
      foldersInFlight: this.foldersInFlight(),
    });
  }

  /**
   * One knob for users (filesInFlight): a distant server that wants many files in flight wants many folders listed
   * too. Each level of folders costs two round trips (OPENDIR, then its READDIRs), so at 20 ms a 2,000-folder tree
   * listed 0.2 s faster with twice filesInFlight (1,024) than with half. Each folder holds a handle while it is
   * listed: below what the server allows on the channels (a refused OPENDIR would make the folder a problem entry).
   */
  private foldersInFlight(): number {
    const { tuning, session } = this.init;
    const wanted = tuning.foldersInFlight ?? Math.max(DEFAULTS.foldersInFlight, 2 * (tuning.filesInFlight ?? 0));
    const handles = session.limits.handles;
    return handles === undefined ? wanted : Math.min(wanted, Math.max(1, Math.floor(((handles - 8) * session.channelCount * 3) / 4)));
  }

  async rootEntry(): Promise<DirEntry | undefined> {
    return this.rootFrom(undefined);
  }

  /** The root's entry from find's record `early` (asked for before), or afresh. */
  private async rootFrom(early: Promise<ShellResult | undefined> | undefined, looked?: RemoteStats | typeof NO_LOOK): Promise<DirEntry | undefined> {
    await this.probed;
    if (this.exec.shell && this.exec.caps.find && this.exec.caps.fineTimes) {
      const r = await (early ?? this.exec.shell.run(findRootCommand(this.remoteRoot))).catch(() => undefined);
      const records = r && r.code === 0 ? findRecords(r.stdout) : undefined;
      const parsed = records && parseFindOutput(records, this.root, { side: 'destination', rules: { exclude: [], include: [] } });
      if (parsed?.ok) return parsed.snapshot.rootEntry;
    }
    if (looked === NO_LOOK) return undefined;
    // An LSTAT just made (the lock's) serves: one round trip less over SFTP alone.
    const st = looked ?? await lstatOrGone(this.init.session, this.remoteRoot);
    return st ? dirEntryOf(st) : undefined;
  }

  /**
   * Where the server hashes (exec), one script per call: as many paths as hashRemote sends in one (64 at a time, 4
   * calls at once, was 27 scripts one after another for a renamed folder of 6,881 files: 3 s at 20 ms RTT). Over SFTP
   * alone each call reads its files, filesInFlight at once: the engine's default batches.
   */
  get hashBatch(): number | undefined {
    // The sums may not be known yet (the probe's second script): where they may be there, the batch is the server's.
    const unknown = this.exec.more !== undefined && !this.moreKnown;
    return this.exec.caps.sums.size > 0 || unknown ? EXEC_HASH_BATCH : undefined;
  }

  async hash(targets: readonly HashTarget[], algorithm: HashAlgorithm): Promise<(string | undefined)[]> {
    // A local file outside the tree (`{ file }`) has no meaning on the server: no digest, so the planner copies.
    const paths = targets.filter((t): t is RelPath => typeof t === 'string');
    await this.fullyProbed();
    const shell = this.exec.caps.sums.has(algorithm) ? this.exec.shell : undefined;
    const digests = await hashRemote(this.init.session, this.remoteRoot, paths, algorithm, shell, this.init.tuning.filesInFlight ?? DEFAULTS.filesInFlight);
    let k = 0;
    return targets.map((t) => (typeof t === 'string' ? digests[k++] : undefined));
  }

  async close(): Promise<void> {
    // A lock taken at open that no lock() claimed (the run stopped, refused, before it): removed while the session is
    // up, and the root's mtime, which the lock file moved, put back from the record made before it.
    const unclaimed = await this.firstLock;
    this.firstLock = undefined;
    if (unclaimed?.taken) {
      await heldRemoteLock(this.init.session, this.remoteRoot, unclaimed.text, (text) => this.quickUnlock(text))();
      await this.putRootBack(await this.recordBeforeLock().catch(() => undefined)).catch(() => undefined);
    }
    if (tracing() && this.helperWrites + this.sftpWrites > 0) traceLine(`remote files written: ${this.helperWrites} through perl (${this.ctx.counts.batched} read in batches; records answered per helper: ${this.helperAnswers.join(', ')}), ${this.sftpWrites} over SFTP`);
    this.closed = true;
    this.exec.shell?.close();
    this.exec.stamper?.close();
    this.init.stamper?.close();
    this.second?.close();
    this.exec = { caps: NO_EXEC };
    this.init.session.close();
  }

  async lock(timeoutMs: number, create: boolean): Promise<TreeLock> {
    const s = this.init.session;
    const unwritable = (err: unknown): never => {
      if (err instanceof AbsyncError) throw err;
      throw new AbsyncError('E_DEST_UNWRITABLE', `cannot write to destination ${this.root}: ${describeError(err).message}`, this.root);
    };
    const quickUnlock = (text: string): Promise<boolean> => this.quickUnlock(text);
    const inOrder = (): boolean => this.unlockOnHelper && this.exec.stamper?.writing === true;
    const earlyLock = await this.firstLock;
    this.firstLock = undefined;
    // Taken on the shell already (in the root, which perl found to be a real folder): no round trip of our own.
    if (earlyLock?.taken) {
      this.madeRoot = false;
      const found = await this.recordBeforeLock();
      return treeLock(heldRemoteLock(s, this.remoteRoot, earlyLock.text, quickUnlock), () => this.putRootBack(found), inOrder);
    }
    const before = await lstatOrGone(s, this.remoteRoot).catch(unwritable);
    const created = !before;
    if (created) {
      if (!create) unwritable(Object.assign(new Error('no such folder'), { code: 'ENOENT' }));
      await makeRemoteDirs(this.ctx, this.remoteRoot).catch(unwritable);
    }
    this.madeRoot = created;
    // The record asked for when the tree opened serves the first lock (a later run of a watch asks afresh).
    const early = this.firstRoot;
    this.firstRoot = undefined;
    const found = created ? undefined : await this.rootFrom(early, before);
    const restore = async (): Promise<void> => {
      if (created) {
        if (await this.isEmpty()) await rmdir(s, this.remoteRoot);
      } else await this.putRootBack(found);
    };
    try {
      return treeLock(await acquireRemoteLock(s, this.remoteRoot, this.root, timeoutMs, quickUnlock), restore, inOrder);
    } catch (err) {
      await restore().catch(() => undefined);
      return unwritable(err);
    }
  }

  /**
   * Removes this run's lock (`text`) in one round trip where it can: through perl, or where the helper does not
   * write (it sets no sub-second times here), the same U record through the connection's shell; false leaves it to
   * SFTP. Says whether it went to perl (the root's times may then follow it there: inOrderAfterRelease), and is waited
   * for by what goes another way (setAttrs).
   */
  private quickUnlock(text: string): Promise<boolean> {
    const helper = this.exec.stamper;
    const shell = this.exec.shell;
    this.unlockOnHelper = helper?.writing === true;
    const unlocking = this.unlockOnHelper || !shell ? helperUnlock(this.ctx, helper, text) : shellUnlock(this.ctx, shell, text);
    this.unlocking = unlocking.then(() => undefined, () => undefined);
    return unlocking;
  }

  /** The root's entry from the record the shell made before the lock taken at open (none without it). */
  private recordBeforeLock(): Promise<DirEntry | undefined> {
    const early = this.firstRoot;
    this.firstRoot = undefined;
    return early ? this.rootFrom(early, NO_LOOK) : Promise.resolve(undefined);
  }

  /** A refused run's root gets back the mtime it was found with (the lock file's making and removal moved it). */
  private async putRootBack(found: DirEntry | undefined): Promise<void> {
    if (found) await this.setAttrs('', [{ name: '', kind: 'dir', mtimeMs: found.mtimeMs }]);
  }

  private async isEmpty(): Promise<boolean> {
    const s = this.init.session;
    const ch = s.channel();
    const handle = await opendir(s, this.remoteRoot, ch);
    try {
      const list = await readdirBatch(s, this.remoteRoot, handle, ch);
      return !list || list.length === 0;
    } finally {
      await closeHandle(s, this.remoteRoot, handle, ch).catch(() => undefined);
    }
  }

  tempName(): string {
    return remoteTempName();
  }

  async removeLeftovers(paths: readonly RelPath[]): Promise<void> {
    const s = this.init.session;
    await Promise.all(paths.filter((p) => isTempName(baseName(p))).map(async (p) => {
      const abs = remotePath(this.remoteRoot, p);
      const st = await lstat(s, abs).catch(() => undefined);
      const kind = st ? kindOfMode(st.mode) : undefined;
      if (kind === 'file' || kind === 'symlink') await unlink(s, abs).catch(() => undefined);
    }));
  }

  /**
   * `results` of `items` through the helper, with those it did not answer because it ended (killed on the server,
   * the connection alive) done again by `sftp`.
   */
  private async orOverSftp<T>(items: readonly T[], results: StepResult[], sftp: (items: T[]) => Promise<StepResult[]>): Promise<StepResult[]> {
    const again = results.flatMap((r, i) => (r.status === 'failed' && r.error?.code === 'EHELPER' && !this.init.session.failed ? [i] : []));
    if (again.length === 0) return results;
    if (tracing()) traceLine(`sftp: the perl helper ended; ${again.length} steps again over SFTP`);
    const redone = await sftp(again.map((i) => items[i] as T));
    again.forEach((i, k) => {
      results[i] = redone[k] as StepResult;
    });
    return results;
  }

  makeDirs(parent: RelPath, items: readonly { readonly name: string }[]): Promise<StepResult[]> {
    const helper = this.exec.stamper;
    const sftp = (these: readonly { readonly name: string }[]): Promise<StepResult[]> => makeDirs(this.ctx, parent, these);
    if (helper?.writing) return this.onLessBusy(helper, items.length * RECORD_COST, (to) => helperMakeDirs(this.ctx, to, parent, items)).then((r) => this.orOverSftp(items, r, sftp));
    return sftp(items);
  }

  writeFiles(parent: RelPath, items: readonly WriteItem[], from: SourceTree): Promise<StepResult[]> {
    const helper = this.exec.stamper;
    if (!helper?.writing) {
      this.sftpWrites += items.length;
      return writeFiles(this.ctx, parent, items, from);
    }
    // Once perl runs, files go to it, one record each; the few it does not take go over SFTP.
    const sftp = (rest: WriteItem[]): Promise<StepResult[]> => {
      this.sftpWrites += rest.length;
      return writeFiles(this.ctx, parent, rest, from);
    };
    return split(items, (item) => helperTakes(this.ctx, item), (mine) => {
      this.helperWrites += mine.length;
      const bytes = mine.reduce((n, item) => n + item.source.size, 0);
      this.helperBytes += bytes;
      if (this.helperBytes > WRITER_BYTES) this.startSecondWriter();
      return this.onLessBusy(helper, bytes + mine.length * RECORD_COST, (to) => writeThroughHelper(this.ctx, to, parent, mine, from)).then((r) => this.orOverSftp(mine, r, sftp));
    }, sftp);
  }

  /**
   * Runs `use` on the helper with less to do: its load (Stamper.load) and what calls given to it have not finished
   * (`weight` each: the calls of one depth start in one tick, before any has queued a record). Past WRITER_BYTES a
   * second perl starts on its own channel: each channel carries at most the server's window (2 MiB on OpenSSH) per
   * round trip, and one perl does every file's system calls one after another; two share both. Folders and
   * attributes go to either too (apply waits for a folder's own answer before anything inside it, and for the
   * answers of everything inside it before its times); the root's own times go behind the release, on the first
   * helper (setAttrs).
   */
  private onLessBusy<T>(helper: Stamper, weight: number, use: (to: Stamper) => Promise<T>): Promise<T> {
    const other = this.second;
    const busy = (h: Stamper): number => h.load + (this.assigned.get(h) ?? 0);
    const to = other?.writing && busy(other) < busy(helper) ? other : helper;
    this.assigned.set(to, (this.assigned.get(to) ?? 0) + weight);
    return use(to).finally(() => this.assigned.set(to, (this.assigned.get(to) ?? 0) - weight));
  }

  private startSecondWriter(): void {
    if (this.second !== undefined || this.closed || !this.exec.stamper) return;
    // A near server: one channel's window per round trip is never the limit, and one perl keeps up with what one
    // client core sends; a second costs the account's login shell again (0.13 s of CPU for root's pyenv here) and,
    // on loopback, a process on the client's own cores (a 20k-file first copy: 2.16 s with one, 2.37 s with two).
    if ((this.init.session.roundTripMs ?? Infinity) < NEAR_MS) return;
    this.second = new Stamper(this.init.session);
    this.second.warm();
  }

  /** A plan that writes many bytes gets its second writer now: its login and perl start while the folders are made. */
  willWrite(bytes: number): void {
    if (bytes > WRITER_BYTES) this.startSecondWriter();
  }

  setAttrs(parent: RelPath, items: readonly AttrItem[]): Promise<StepResult[]> {
    const helper = this.exec.stamper;
    // What goes another way than the helper waits for a release on its way there (inOrderAfterRelease).
    const sftp = async (rest: readonly AttrItem[]): Promise<StepResult[]> => {
      await this.unlocking;
      return setAttrs(this.ctx, parent, rest);
    };
    if (!helper?.writing) return sftp(items);
    const root = parent === '' && items.some((it) => it.name === '');
    return split(items, helperTakesAttrs, (mine) => (root ? helperSetAttrs(this.ctx, helper, parent, mine) : this.onLessBusy(helper, mine.length * RECORD_COST, (to) => helperSetAttrs(this.ctx, to, parent, mine))).then((r) => this.orOverSftp(mine, r, sftp)), sftp);
  }

  remove(parent: RelPath, items: readonly RemoveItem[]): Promise<StepResult[]> {
    return remove(this.ctx, parent, items);
  }

  symlinks(parent: RelPath, items: readonly LinkItem[]): Promise<StepResult[]> {
    return symlinks(this.ctx, parent, items);
  }

  rename(items: readonly RenameItem[]): Promise<StepResult[]> {
    return rename(this.ctx, items);
  }
}
