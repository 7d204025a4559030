/**
 * Remote-destination test helpers: a server per test file, trees opened on it, snapshots compared with a local scan,
 * and runs through the public sync API into it.
 */
import assert from 'node:assert/strict';
import { lstatSync } from 'node:fs';
import { after, before } from 'node:test';
import { resolveOptions, runSync, type SyncOptions, type SyncResult } from '../../src/engine/index.js';
import { openSftpTree, type SftpTree, type SftpTreeOptions } from '../../src/engine/backends/sftp/index.js';
import { openTrees } from '../../src/engine/backends/choose.js';
import type { SourceTree } from '../../src/engine/backends/tree.js';
import type { Entry, FileEntry, Snapshot } from '../../src/engine/types.js';
import { readTree } from './tree.js';
import { startSshd, sshdUnavailable, type SshdOptions, type SshServer } from './sshd.js';

/** Why the remote tests skip here, or undefined. */
export const skipReason = sshdUnavailable();

/** Starts a server before the file's tests and stops it after; `get()` returns it. */
export function useServer(opts: SshdOptions = {}): () => SshServer {
  let srv: SshServer | undefined;
  before(async () => {
    if (!skipReason) srv = await startSshd(opts);
  });
  after(async () => {
    await srv?.stop();
  });
  return () => {
    if (!srv) throw new Error('no server');
    return srv;
  };
}

/** Options that trust the test server and log in with its key. */
export function trust(srv: SshServer, extra: SftpTreeOptions = {}): SftpTreeOptions {
  return { identity: srv.key, knownHosts: srv.knownHosts, sshConfig: false, agent: false, sshPort: srv.port, ...extra };
}

/** The public options that trust the test server and log in with its key (identity, knownHosts, sshPort). */
export function auth(srv: SshServer): Pick<SyncOptions, 'identity' | 'knownHosts' | 'sshPort'> {
  return { identity: srv.key, knownHosts: srv.knownHosts, sshPort: srv.port };
}

/** `user@127.0.0.1:<dir>`, the destination form users type. */
export function remoteDest(srv: SshServer, dir: string): string {
  return `${srv.user}@127.0.0.1:${dir}`;
}

/** One run of the library (runSync, as sync() and every face) from local `source` into `dir` on the server. */
export function syncRemote(srv: SshServer, source: string, dir: string, options: Omit<SyncOptions, 'source' | 'destination'> = {}): Promise<SyncResult> {
  return runSync(resolveOptions({ ...auth(srv), ...options, source, destination: remoteDest(srv, dir) }));
}

export function openTree(srv: SshServer, dir: string, extra: SftpTreeOptions = {}): Promise<SftpTree> {
  return openSftpTree(`${srv.user}@127.0.0.1:${dir}`, trust(srv, extra));
}

export function scanRemote(tree: SftpTree): Promise<Snapshot> {
  return tree.scan({ side: 'destination', rules: NO_RULES });
}

/** Entries as sorted lines; `seconds` truncates mtimes and drops inodes (what SFTP v3 carries). */
export function entryLines(entries: ReadonlyMap<string, Entry>, seconds = false): string[] {
  return [...entries].map(([path, e]) => {
    const x: Record<string, unknown> = { ...e };
    if (seconds) {
      if ('mtimeMs' in x) x.mtimeMs = Math.floor((x.mtimeMs as number) / 1000) * 1000;
      delete x.ino;
    }
    return `${JSON.stringify(path)} ${JSON.stringify(x, Object.keys(x).sort())}`;
  }).sort();
}

/** readTree with mtimes cut to whole seconds (what an SFTP-only server keeps). */
export function readSeconds(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(readTree(dir))) out[k] = v.replace(/@(\d+)$/, (_, us: string) => `@${us.slice(0, -6)}`);
  return out;
}

export const NO_RULES = { exclude: [], include: [] } as const;

/** A local folder as a tree (the engine's own choice: the native addon where it is built). */
export function localTree(dir: string): SourceTree {
  return openTrees({ source: dir, destination: dir }).source;
}

/** What the local tree's scan of `dir` gives, as a destination. */
export async function localEntries(dir: string): Promise<ReadonlyMap<string, Entry>> {
  const tree = localTree(dir);
  try {
    return (await tree.scan({ side: 'destination', rules: NO_RULES })).entries;
  } finally {
    await tree.close();
  }
}

/** An mtime with a microsecond part (1,650,000,000.123456 s), in ms: what steps set and tests read back exactly. */
export const MTIME = Number(1_650_000_000_123_456n) / 1000;

/** A source entry for a step's item: a file of `size` bytes. */
export function fileEntry(size: number, mtimeMs = MTIME, mode = 0o640): FileEntry {
  return { kind: 'file', size, mtimeMs, mode, ino: 0 };
}

/** `path`'s own mtime in microseconds. */
export function usOf(path: string): bigint {
  return lstatSync(path, { bigint: true }).mtimeNs / 1000n;
}

/** Runs `fn` on the tree of `dir` on the server (SFTP alone with `sftp`), and closes it. */
export async function withTree<T>(srv: SshServer, dir: string, fn: (tree: SftpTree) => Promise<T>, sftp = false): Promise<T> {
  const tree = await openTree(srv, dir, sftp ? { scanMode: 'sftp' } : {});
  try {
    return await fn(tree);
  } finally {
    await tree.close();
  }
}

/** withTree, with the tree's perl helper running (the test fails where it cannot start). */
export function withHelper<T>(srv: SshServer, dir: string, fn: (tree: SftpTree) => Promise<T>): Promise<T> {
  return withTree(srv, dir, async (tree) => {
    assert.equal(await tree.startHelper(), true, 'the server runs perl');
    return fn(tree);
  });
}
