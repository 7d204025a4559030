/**
 * Digests of remote files without downloading them where the account may run commands: paths go NUL-separated to
 * `xargs -0 <algo>sum -z` in the root (0.25 s for a 7,065-file folder here); a file that cannot be read has no
 * record and gets no digest. Elsewhere the files are read over SFTP, several chunks in flight per file.
 * Either way a digest only confirms a rename or a content comparison: apply re-checks each entry before it acts.
 */
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { HashAlgorithm } from '../../options.js';
import type { RelPath } from '../../types.js';
import { kindOfMode, remotePath } from './entries.js';
import { closeHandle, lstat, openRead, read } from './remote-fs.js';
import type { SftpSession } from './session.js';
import type { RemoteShell } from './remote-shell.js';
import { shQuote } from './shell.js';

const BEGIN = 'ABSYNC-SUM\0';
/** Paths per exec channel: keeps one command's output (and the server's argument lists) modest. */
const EXEC_BATCH = 4000;
const HEX_LENGTH: Record<HashAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64 };

async function hashBatchExec(shell: RemoteShell, root: string, paths: readonly RelPath[], algorithm: HashAlgorithm): Promise<(string | undefined)[]> {
  // find keeps regular files only (sha1sum would follow a link); `./` keeps a name that starts with `-` a path.
  const list = `printf '%s\\0' ${paths.map((p) => shQuote(`./${p}`)).join(' ')}`;
  const regular = `xargs -0 -r sh -c 'exec find "$@" -maxdepth 0 -type f -print0' sh`;
  const r = await shell.run(`cd ${shQuote(root)} && printf '${BEGIN.replace('\0', '\\0')}' && export LC_ALL=C && ${list} | ${regular} | xargs -0 -r ${algorithm}sum -z --`);
  const start = r.stdout.indexOf(BEGIN);
  const found = new Map<string, string>();
  if (start >= 0) {
    const len = HEX_LENGTH[algorithm];
    let p = start + Buffer.byteLength(BEGIN);
    while (p < r.stdout.length) {
      const end = r.stdout.indexOf(0, p);
      if (end < 0) break;
      // `<hex>  ./<name>`: the name exactly as given, since -z turns off sha1sum's escaping.
      const hex = r.stdout.toString('latin1', p, p + len);
      found.set(r.stdout.toString('utf8', p + len + 4, end), hex);
      p = end + 1;
    }
  }
  return paths.map((p) => found.get(p));
}

interface Waiting {
  readonly root: string;
  readonly paths: readonly RelPath[];
  readonly algorithm: HashAlgorithm;
  readonly settle: (result: (string | undefined)[] | Error) => void;
}

/** Per shell: calls waiting for the script in progress to end (then they go as one script). */
const queues = new WeakMap<RemoteShell, { running: boolean; waiting: Waiting[] }>();

/**
 * Hashes `paths` in one script with every call that arrives while a script runs: the engine asks in batches of 64
 * (sized for local threads), and each script costs several process starts on the server (~5 ms each on an idle
 * machine, many times that on a busy one), so 6,881 files renamed meant 108 scripts one after another.
 */
function hashCoalesced(shell: RemoteShell, root: string, paths: readonly RelPath[], algorithm: HashAlgorithm): Promise<(string | undefined)[]> {
  let q = queues.get(shell);
  if (!q) {
    q = { running: false, waiting: [] };
    queues.set(shell, q);
  }
  const queue = q;
  return new Promise((resolve, reject) => {
    queue.waiting.push({ root, paths, algorithm, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    const next = (): void => {
      if (queue.running || queue.waiting.length === 0) return;
      const first = queue.waiting[0] as Waiting;
      const group: Waiting[] = [];
      let n = 0;
      // Same root and algorithm, up to EXEC_BATCH paths (a first call larger than that goes alone).
      for (const w of queue.waiting) {
        if (w.root !== first.root || w.algorithm !== first.algorithm) continue;
        if (group.length > 0 && n + w.paths.length > EXEC_BATCH) break;
        group.push(w);
        n += w.paths.length;
      }
      queue.waiting = queue.waiting.filter((w) => !group.includes(w));
      queue.running = true;
      hashBatchExec(shell, first.root, group.flatMap((w) => w.paths), first.algorithm).then(
        (all) => {
          let k = 0;
          for (const w of group) {
            w.settle(all.slice(k, k + w.paths.length));
            k += w.paths.length;
          }
        },
        (err: unknown) => {
          for (const w of group) w.settle(err instanceof Error ? err : new Error(String(err)));
        },
      ).finally(() => {
        queue.running = false;
        next();
      });
    };
    // Calls made in this turn of the event loop go together too.
    setImmediate(next);
  });
}

const CHUNK = 255 * 1024;
const AHEAD = 8;

/** Reads `size` bytes of an open remote file in order, AHEAD chunks in flight; false when the file turned out shorter. */
async function readAll(s: SftpSession, abs: string, handle: Buffer, size: number, ch: ReturnType<SftpSession['channel']>, take: (chunk: Buffer) => void): Promise<boolean> {
  let sent = 0;
  const ahead: { at: number; len: number; data: Promise<Buffer> }[] = [];
  const send = (): void => {
    const at = sent;
    const len = Math.min(CHUNK, size - at);
    sent += len;
    const buf = Buffer.allocUnsafe(len);
    ahead.push({ at, len, data: read(s, abs, handle, buf, len, at, ch).then((n) => buf.subarray(0, n)) });
  };
  try {
    while (sent < size && ahead.length < AHEAD) send();
    while (ahead.length > 0) {
      const { at, len, data } = ahead.shift() as (typeof ahead)[number];
      const chunk = await data;
      take(chunk);
      // A short read is not the end over SFTP (only EOF is): read the rest of this chunk one request at a time.
      for (let pos = at + chunk.length; pos < at + len; ) {
        const buf = Buffer.allocUnsafe(at + len - pos);
        const n = await read(s, abs, handle, buf, buf.length, pos, ch);
        if (n === 0) return false;
        take(buf.subarray(0, n));
        pos += n;
      }
      while (sent < size && ahead.length < AHEAD) send();
    }
    return true;
  } finally {
    await Promise.allSettled(ahead.map((a) => a.data));
  }
}

async function hashOneSftp(s: SftpSession, abs: string, algorithm: HashAlgorithm): Promise<string | undefined> {
  const ch = s.channel();
  // OPEN follows a link, so the LSTAT (sent first on the same channel, answered first) must say a regular file.
  const [st, handle] = await Promise.allSettled([lstat(s, abs, ch), openRead(s, abs, ch)]);
  if (handle.status === 'rejected') return undefined;
  if (st.status === 'rejected' || kindOfMode(st.value.mode) !== 'file') {
    closeHandle(s, abs, handle.value, ch).catch(() => undefined);
    return undefined;
  }
  const hash = createHash(algorithm);
  try {
    if (!(await readAll(s, abs, handle.value, st.value.size, ch, (chunk) => hash.update(chunk)))) return undefined;
  } finally {
    closeHandle(s, abs, handle.value, ch).catch(() => undefined);
  }
  return hash.digest('hex');
}

/** Hex digests in the order of `paths`; undefined where a file could not be read or is not a regular file. */
export async function hashRemote(
  s: SftpSession, root: string, paths: readonly RelPath[], algorithm: HashAlgorithm, shell: RemoteShell | undefined, inFlight: number,
): Promise<(string | undefined)[]> {
  if (shell) {
    const out: (string | undefined)[] = [];
    const batches: RelPath[][] = [];
    for (let i = 0; i < paths.length; i += EXEC_BATCH) batches.push(paths.slice(i, i + EXEC_BATCH));
    // The shell runs one script at a time: the batches queue there.
    const results = await Promise.all(batches.map((b) => hashCoalesced(shell, root, b, algorithm)));
    for (const r of results) out.push(...r);
    return out;
  }
  const limit = pLimit(inFlight);
  return Promise.all(paths.map((p) => limit(() => hashOneSftp(s, remotePath(root, p), algorithm).catch(() => undefined))));
}
