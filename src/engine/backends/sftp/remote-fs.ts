/**
 * The SFTP requests the tree uses, as promises over a session (each with the session's deadline). Paths are absolute
 * remote paths. Nothing here follows a symlink on purpose: LSTAT, READLINK, REMOVE, RMDIR and lsetstat act on a link
 * itself; OPEN is only ever used with O_EXCL (which never follows) for writing, and after an LSTAT for reading.
 */
import type ssh2 from 'ssh2';
import type { SftpSession } from './session.js';
import { FX } from './sftp-errors.js';

type Sftp = ssh2.SFTPWrapper;
export type RemoteStats = ssh2.Stats;
export type RemoteName = ssh2.FileEntryWithStats;

export function lstat(s: SftpSession, path: string, ch?: Sftp): Promise<RemoteStats> {
  return s.request<RemoteStats>(path, (sftp, cb) => sftp.lstat(path, cb), ch);
}

/** LSTAT, or undefined when nothing is there. */
export function lstatOrGone(s: SftpSession, path: string, ch?: Sftp): Promise<RemoteStats | undefined> {
  // The expected answers are taken in ssh2's callback, before they become SftpErrors (a stack trace each).
  return s.request<RemoteStats | undefined>(path, (sftp, cb) => sftp.lstat(path, (err, st) => {
    if (err && (err as { code?: unknown }).code === FX.NO_SUCH_FILE) cb(undefined, undefined);
    else cb(err, st);
  }), ch);
}

export function readlink(s: SftpSession, path: string, ch?: Sftp): Promise<string> {
  return s.request<string>(path, (sftp, cb) => sftp.readlink(path, cb), ch);
}

export function realpath(s: SftpSession, path: string): Promise<string> {
  return s.request<string>(path, (sftp, cb) => sftp.realpath(path, cb));
}

export function opendir(s: SftpSession, path: string, ch: Sftp): Promise<Buffer> {
  return s.request<Buffer>(path, (sftp, cb) => sftp.opendir(path, cb), ch);
}

/** One READDIR on an open folder: a batch of names with their attributes, or undefined at the end. */
export function readdirBatch(s: SftpSession, path: string, handle: Buffer, ch: Sftp): Promise<RemoteName[] | undefined> {
  // Every listing ends with EOF: taken here as the end, not made into an SftpError and a rejection (a stack trace
  // each; 2,000 folders cost 0.1 s).
  return s.request<RemoteName[] | undefined>(path, (sftp, cb) => sftp.readdir(handle, (err, list) => {
    if (err && (err as { code?: unknown }).code === FX.EOF) cb(undefined, undefined);
    else cb(err, list);
  }), ch);
}

export function closeHandle(s: SftpSession, path: string, handle: Buffer, ch: Sftp): Promise<void> {
  return s.request<void>(path, (sftp, cb) => sftp.close(handle, cb), ch);
}

/** Opens for writing a file that must not exist yet (O_CREAT | O_EXCL: a link planted at the name is not followed). */
export function openNew(s: SftpSession, path: string, mode: number, ch: Sftp): Promise<Buffer> {
  return s.request<Buffer>(path, (sftp, cb) => sftp.open(path, 'wx', { mode }, cb), ch);
}

export function openRead(s: SftpSession, path: string, ch: Sftp): Promise<Buffer> {
  return s.request<Buffer>(path, (sftp, cb) => sftp.open(path, 'r', cb), ch);
}

export function write(s: SftpSession, path: string, handle: Buffer, data: Buffer, length: number, position: number, ch: Sftp): Promise<void> {
  return s.request<void>(path, (sftp, cb) => sftp.write(handle, data, 0, length, position, cb), ch);
}

/** Reads up to `length` bytes at `position` into `buffer`; 0 at the end of the file. */
export function read(s: SftpSession, path: string, handle: Buffer, buffer: Buffer, length: number, position: number, ch: Sftp): Promise<number> {
  return s.request<number>(path, (sftp, cb) => sftp.read(handle, buffer, 0, length, position, (err, n) => {
    if (err && (err as { code?: unknown }).code === FX.EOF) cb(undefined, 0);
    else cb(err, n);
  }), ch);
}

export function fstat(s: SftpSession, path: string, handle: Buffer, ch: Sftp): Promise<RemoteStats> {
  return s.request<RemoteStats>(path, (sftp, cb) => sftp.fstat(handle, cb), ch);
}

/** Mode and times on an open handle: they cannot land on anything but the file written. */
export function fsetstat(s: SftpSession, path: string, handle: Buffer, attrs: ssh2.InputAttributes, ch: Sftp): Promise<void> {
  return s.request<void>(path, (sftp, cb) => sftp.fsetstat(handle, attrs, cb), ch);
}

/** lsetstat@openssh.com: attributes of the entry itself, a link's own times included. */
export function lsetstat(s: SftpSession, path: string, attrs: ssh2.InputAttributes, ch?: Sftp): Promise<void> {
  return s.request<void>(path, (sftp, cb) => sftp.ext_openssh_lsetstat(path, attrs, cb), ch);
}

/** Plain SETSTAT, which follows links: only after an LSTAT said it is not one, and only where lsetstat is missing. */
export function setstat(s: SftpSession, path: string, attrs: ssh2.InputAttributes, ch?: Sftp): Promise<void> {
  return s.request<void>(path, (sftp, cb) => sftp.setstat(path, attrs, cb), ch);
}

export function mkdir(s: SftpSession, path: string, mode: number, ch?: Sftp): Promise<void> {
  return s.request<void>(path, (sftp, cb) => sftp.mkdir(path, { mode }, cb), ch);
}

export function rmdir(s: SftpSession, path: string, ch?: Sftp): Promise<void> {
  return s.request<void>(path, (sftp, cb) => sftp.rmdir(path, cb), ch);
}

export function unlink(s: SftpSession, path: string, ch?: Sftp): Promise<void> {
  return s.request<void>(path, (sftp, cb) => sftp.unlink(path, cb), ch);
}

/** A link at `linkPath` with `target` (ssh2 swaps the arguments for OpenSSH, which has them the other way round). */
export function symlink(s: SftpSession, target: string, linkPath: string, ch?: Sftp): Promise<void> {
  return s.request<void>(linkPath, (sftp, cb) => sftp.symlink(target, linkPath, cb), ch);
}

/** posix-rename@openssh.com: rename(2), replacing whatever is at `to` in one step. */
export function posixRename(s: SftpSession, from: string, to: string, ch?: Sftp): Promise<void> {
  return s.request<void>(from, (sftp, cb) => sftp.ext_openssh_rename(from, to, cb), ch);
}

/** Plain SFTP RENAME: fails when `to` exists (OpenSSH links then unlinks), so it never replaces anything. */
export function renameNoReplace(s: SftpSession, from: string, to: string, ch?: Sftp): Promise<void> {
  return s.request<void>(from, (sftp, cb) => sftp.rename(from, to, cb), ch);
}

/** hardlink@openssh.com: a second name for a file; fails when `to` exists. */
export function hardlink(s: SftpSession, from: string, to: string, ch?: Sftp): Promise<void> {
  return s.request<void>(from, (sftp, cb) => sftp.ext_openssh_hardlink(from, to, cb), ch);
}
