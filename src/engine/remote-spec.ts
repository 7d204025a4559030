/**
 * Which destinations are folders on another machine: `user@host:/path`, `host:path` (rsync's and scp's form, relative
 * to the login folder) and `sftp://user@host:port/path`. Like rsync, a colon before the first slash means a host, so
 * `./a:b` and `/x/a:b` stay local; unlike rsync, a drive letter (`C:\x`, `C:/x`, `C:`) is a local Windows path.
 */
import { AbsyncError } from './errors.js';

/** A parsed remote destination. */
export interface RemoteSpec {
  /** The login name, when given (`user@`); else ~/.ssh/config's User or the local user name. */
  readonly user?: string;
  /** The host as written: a name, an address, or a ~/.ssh/config Host alias (IPv6 without its brackets). */
  readonly host: string;
  /** The port, when given (sftp:// only; the `host:path` form takes it from an option or ~/.ssh/config). */
  readonly port?: number;
  /** The remote folder: absolute (`/srv/www`), or relative to the login folder (`www`, '' for the login folder itself). */
  readonly path: string;
  readonly form: 'scp' | 'url';
}

function bad(text: string, why: string): never {
  throw new AbsyncError('E_OPTIONS', `invalid remote destination ${JSON.stringify(text)}: ${why}`, text);
}

function portOf(text: string, digits: string): number {
  const port = Number(digits);
  if (!/^\d+$/.test(digits) || port < 1 || port > 65535) bad(text, `port must be 1-65535, got ${JSON.stringify(digits)}`);
  return port;
}

function decode(text: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return bad(text, 'bad %-escape');
  }
}

/** `sftp://[user[;params]@]host[:port][/path]`: `/srv/www` is absolute, `/~/www` relative to the login folder. */
function parseUrl(text: string): RemoteSpec {
  const rest = text.slice('sftp://'.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const rawPath = slash < 0 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  // `;fingerprint=...` connection parameters of the URI draft are not used; the user name is what comes before them.
  const user = at < 0 ? undefined : decode(text, (authority.slice(0, at).split(';')[0] as string));
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  let host: string;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(hostPort);
  if (v6) {
    host = v6[1] as string;
    if (v6[2] !== undefined) port = portOf(text, v6[2]);
  } else {
    const colon = hostPort.lastIndexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) port = portOf(text, hostPort.slice(colon + 1));
  }
  if (host === '') bad(text, 'no host');
  if (user === '') bad(text, 'empty user name');
  let path = decode(text, rawPath);
  if (path === '/~' || path.startsWith('/~/')) path = path.slice(3);
  return { ...(user !== undefined ? { user } : {}), host, ...(port !== undefined ? { port } : {}), path, form: 'url' };
}

/** `[user@]host:path` and `[user@][v6addr]:path`. */
function parseScp(text: string, colon: number): RemoteSpec {
  const login = text.slice(0, colon);
  const path = text.slice(colon + 1);
  const at = login.lastIndexOf('@');
  const user = at < 0 ? undefined : login.slice(0, at);
  let host = at < 0 ? login : login.slice(at + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') bad(text, 'no host before the colon');
  if (user === '') bad(text, 'empty user name');
  if (path.startsWith(':')) bad(text, "rsync daemon paths (host::module) are not supported; use host:/path over SSH");
  return { ...(user !== undefined ? { user } : {}), host, path, form: 'scp' };
}

/** The remote destination `text` names, or undefined when it is a local path. Throws E_OPTIONS when it is malformed. */
export function parseRemote(text: string): RemoteSpec | undefined {
  if (/^sftp:\/\//i.test(text)) return parseUrl(`sftp://${text.slice('sftp://'.length)}`);
  // A drive letter: C:\x, C:/x, C: (and c:name, which Windows reads as relative to that drive's folder).
  if (/^[A-Za-z]:/.test(text)) return undefined;
  // `[::1]:path` and `user@[::1]:path`: the colon that counts is after the closing bracket.
  const bracket = /^(?:[^/@]*@)?\[[^\]/]*\]:/.exec(text);
  const colon = bracket ? bracket[0].length - 1 : text.indexOf(':');
  if (colon < 0) return undefined;
  const slash = text.indexOf('/');
  if (slash >= 0 && slash < colon) return undefined;
  return parseScp(text, colon);
}

/** True when `text` names a folder on another machine (a destination that is no local path). */
export function isRemoteDestination(text: string): boolean {
  try {
    return parseRemote(text) !== undefined;
  } catch {
    // Malformed, but meant as remote: resolveOptions refuses it with the cause.
    return true;
  }
}

/** How a remote destination is shown in messages and summaries: `user@host:/path` (`[v6]` in brackets). */
export function formatRemote(spec: { readonly user?: string; readonly host: string; readonly port?: number }, path: string): string {
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  const user = spec.user !== undefined ? `${spec.user}@` : '';
  if (spec.port !== undefined && spec.port !== 22) return `sftp://${user}${host}:${spec.port}${path.startsWith('/') ? '' : '/~/'}${path}`;
  return `${user}${host}:${path}`;
}
