/**
 * Lists a remote tree over SFTP alone (any SSH server): many folders in flight at once, and a few READDIRs ahead on
 * each open folder, since READDIR returns every name with its attributes (no LSTAT per entry). Measured here on a
 * 20k-file tree: 0.2 s with 64 folders in flight, 0.68 s one folder at a time, 1.1 s with ssh2's own readdir().
 * Links cost one READLINK each. An unreadable folder becomes a `problem` entry, never an empty folder.
 */
import { describeError } from '../../errors.js';
import { joinRel } from '../../paths.js';
import { isTempName, LOCK_NAME, TAKEOVER_NAME } from '../../reserved.js';
import { createFilter } from '../../scan/filter.js';
import type { DirEntry, Entry, RelPath, ScanWarning, Snapshot } from '../../types.js';
import type { ScanRequest } from '../tree.js';
import { entryOfStats, remotePath } from './entries.js';
import { closeHandle, lstat, lstatOrGone, opendir, readdirBatch, readlink, type RemoteName, type RemoteStats } from './remote-fs.js';
import type { SftpSession } from './session.js';
import { SftpError } from './sftp-errors.js';

/**
 * READDIRs sent at once on a folder handle (OpenSSH answers them in order; the ones past the end get EOF): a folder
 * of up to one answer's names is read in one round trip, with one EOF. Each EOF costs both ends a packet, and ssh2
 * an Error; three ahead was 6,000 EOFs for 2,000 folders.
 */
const READ_AHEAD = 2;
/** OpenSSH's sftp-server puts up to 100 names in one answer: a full one means more are likely to come. */
const FULL_ANSWER = 100;

interface ScanState {
  readonly entries: Map<RelPath, Entry>;
  readonly excluded: RelPath[];
  readonly leftovers: RelPath[];
  readonly warnings: ScanWarning[];
  readonly links: Promise<void>[];
}

export interface SftpScanInput {
  readonly session: SftpSession;
  /** The remote root folder (absolute, resolved). */
  readonly root: string;
  /** The root as users name it, for the Snapshot. */
  readonly label: string;
  readonly request: ScanRequest;
  readonly foldersInFlight: number;
}

function problemOf(err: unknown): Entry {
  return { kind: 'problem', ...describeError(err) };
}

export async function scanSftp(input: SftpScanInput): Promise<Snapshot> {
  const { session: s, root, request } = input;
  const { side } = request;
  const filter = createFilter(request.rules);
  const st: ScanState = { entries: new Map(), excluded: [], leftovers: [], warnings: [], links: [] };
  const rootEntry = entryOfStats(await lstat(s, root));

  /** Records one name of folder `dir`; returns its entry (undefined when filtered, reserved or skipped). */
  const visit = (dir: RelPath, name: string, attrs: RemoteStats): Entry | undefined => {
    if (isTempName(name)) {
      if (side === 'destination') st.leftovers.push(joinRel(dir, name));
      return undefined;
    }
    if (dir === '' && (name === LOCK_NAME || name === TAKEOVER_NAME)) return undefined;
    const path = joinRel(dir, name);
    const entry = entryOfStats(attrs);
    if (filter.active && filter.excludes(path, entry.kind === 'dir')) {
      st.excluded.push(path);
      return undefined;
    }
    if (name.includes('\uFFFD')) {
      // ssh2 decodes names as UTF-8: one that was not valid UTF-8 cannot be named again. Check, as the local scan does.
      st.links.push(lstatOrGone(s, remotePath(root, path)).then((back) => {
        if (back) return;
        st.entries.delete(path);
        st.warnings.push({ path, message: 'name is not valid UTF-8; skipped' });
      }, () => undefined));
    }
    if (entry.kind === 'symlink') {
      st.links.push(readlink(s, remotePath(root, path)).then(
        (target) => void st.entries.set(path, { ...(entry as Entry & { kind: 'symlink' }), target }),
        (err: unknown) => {
          if (err instanceof SftpError && err.code === 'ENOENT') st.entries.delete(path);
          else st.entries.set(path, problemOf(err));
        },
      ));
    }
    st.entries.set(path, entry);
    return entry;
  };

  const listFolder = async (dir: RelPath): Promise<RelPath[]> => {
    const abs = remotePath(root, dir);
    const ch = s.channel();
    let handle: Buffer;
    try {
      handle = await opendir(s, abs, ch);
    } catch (err) {
      if (dir === '') throw err;
      if (err instanceof SftpError && err.code === 'ENOENT') st.entries.delete(dir);
      else st.entries.set(dir, problemOf(err));
      return [];
    }
    const subdirs: RelPath[] = [];
    try {
      const ahead: Promise<RemoteName[] | undefined>[] = [];
      for (let i = 0; i < READ_AHEAD; i++) ahead.push(readdirBatch(s, abs, handle, ch));
      for (;;) {
        const list = await (ahead.shift() as Promise<RemoteName[] | undefined>);
        if (list === undefined) break;
        // One more READDIR: when none is on its way, or after a full answer (a big folder keeps two ahead).
        if (ahead.length === 0 || list.length >= FULL_ANSWER) ahead.push(readdirBatch(s, abs, handle, ch));
        for (const n of list) {
          const e = visit(dir, n.filename, n.attrs);
          if (e?.kind === 'dir') subdirs.push(joinRel(dir, n.filename));
        }
      }
      await Promise.allSettled(ahead);
    } catch (err) {
      if (dir === '') throw err;
      st.entries.set(dir, problemOf(err));
      return [];
    } finally {
      closeHandle(s, abs, handle, ch).catch(() => undefined);
    }
    return subdirs;
  };

  const scope = request.scope && !request.scope.includes('') ? topmost(request.scope) : undefined;
  const start = scope ? await scopeStarts(s, root, scope, visit, st) : [''];
  await walk(start, listFolder, input.foldersInFlight);
  await Promise.all(st.links);
  return {
    root: input.label,
    entries: st.entries,
    excluded: st.excluded,
    leftovers: st.leftovers,
    warnings: st.warnings,
    ...(rootEntry.kind === 'dir' ? { rootEntry: rootEntry as DirEntry } : {}),
    ...(scope ? { scope } : {}),
  };
}

/** Lists folders with up to `width` in flight, each folder's subfolders queued as it is read. */
function walk(start: readonly RelPath[], list: (dir: RelPath) => Promise<RelPath[]>, width: number): Promise<void> {
  const queue = [...start];
  let active = 0;
  return new Promise((resolve, reject) => {
    let failed = false;
    const pump = (): void => {
      while (!failed && active < width && queue.length > 0) {
        const dir = queue.pop() as RelPath;
        active++;
        list(dir).then(
          (subdirs) => {
            active--;
            queue.push(...subdirs);
            pump();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
      if (!failed && active === 0 && queue.length === 0) resolve();
    };
    pump();
  });
}

/** An incremental scan: each scoped path's parent folders (for their attributes) and the path itself; returns the folders to list. */
async function scopeStarts(
  s: SftpSession, root: string, scope: readonly RelPath[], visit: (dir: RelPath, name: string, attrs: RemoteStats) => Entry | undefined, st: ScanState,
): Promise<RelPath[]> {
  const starts: RelPath[] = [];
  for (const path of scope) {
    let dir = '';
    for (const name of path.split('/')) {
      const here = joinRel(dir, name);
      let e = st.entries.get(here);
      if (!e) {
        const attrs = await lstatOrGone(s, remotePath(root, here)).catch((err: unknown) => {
          st.entries.set(here, problemOf(err));
          return undefined;
        });
        e = attrs ? visit(dir, name, attrs) : st.entries.get(here);
      }
      if (!e || e.kind !== 'dir') break;
      if (here === path) starts.push(here);
      dir = here;
    }
  }
  return starts;
}

/** The given paths without those below another one of them. */
function topmost(paths: readonly RelPath[]): RelPath[] {
  const sorted = [...new Set(paths)].sort();
  const out: RelPath[] = [];
  for (const p of sorted) if (!out.some((q) => p === q || p.startsWith(`${q}/`))) out.push(p);
  return out;
}
