/**
 * Where to connect and as whom, from a parsed destination, the options and ~/.ssh/config Host aliases (HostName, User,
 * Port, IdentityFile; parsed by the ssh-config package, with `Match exec` never run). Precedence as in ssh: what the
 * destination and the options say, then the config file, then the defaults (port 22, the local user name).
 */
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { AbsyncError } from '../../errors.js';
import type { RemoteSpec } from '../../remote-spec.js';
import type { SshOptions } from './ssh-options.js';

/** A resolved server and login. */
export interface Endpoint {
  /** The name or address actually connected to (HostName), also the name checked in known_hosts. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The host as the user wrote it (an alias, maybe). */
  readonly alias: string;
  /** IdentityFile entries of the config file, `~` and `%d %u %h %r %%` expanded. */
  readonly identityFiles: readonly string[];
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'root';
  }
}

/** ssh's tokens in IdentityFile and HostName: the few that make sense without a connection. */
function expand(text: string, host: string, user: string): string {
  const home = homedir();
  const out = text.replace(/%([%dhur])/g, (_, t: string) => {
    switch (t) {
      case 'd':
        return home;
      case 'h':
        return host;
      case 'u':
        return localUser();
      case 'r':
        return user;
      default:
        return '%';
    }
  });
  return out === '~' ? home : out.startsWith('~/') ? join(home, out.slice(2)) : out;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readConfig(file: string): Record<string, string | string[]> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AbsyncError('E_OPTIONS', `cannot read ssh config ${file}: ${(err as Error).message}`, file);
  }
  try {
    return SSHConfig.parse(text) as unknown as Record<string, string | string[]>;
  } catch (err) {
    throw new AbsyncError('E_OPTIONS', `cannot parse ssh config ${file}: ${(err as Error).message}`, file);
  }
}

export function resolveEndpoint(spec: RemoteSpec, options: SshOptions): Endpoint {
  const file = options.sshConfig === false ? undefined : (options.sshConfig ?? join(homedir(), '.ssh', 'config'));
  const parsed = file ? readConfig(file) : undefined;
  const computed = parsed
    ? (parsed as unknown as SSHConfig).compute({ Host: spec.host, ...(spec.user !== undefined ? { User: spec.user } : {}) }, { ignoreCase: true, matchExec: false })
    : {};
  const user = spec.user ?? first(computed.user) ?? localUser();
  const hostName = first(computed.hostname);
  const host = hostName !== undefined ? expand(hostName, spec.host, user) : spec.host;
  const configPort = first(computed.port);
  const port = spec.port ?? options.sshPort ?? (configPort !== undefined ? Number(configPort) : 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AbsyncError('E_OPTIONS', `invalid port for ${spec.host}: ${JSON.stringify(configPort ?? port)}${configPort !== undefined ? ` (from ${file})` : ''}`);
  }
  const ids = computed.identityfile;
  const identityFiles = (Array.isArray(ids) ? ids : ids !== undefined ? [ids] : []).map((f) => expand(f, spec.host, user));
  return { host, port, user, alias: spec.host, identityFiles };
}
