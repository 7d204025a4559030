/**
 * Which keys to offer, in ssh's order: the `identity` key file alone when one is given; else the agent
 * (`SSH_AUTH_SOCK`), then ~/.ssh/config's IdentityFile entries, then ~/.ssh/id_ed25519 and ~/.ssh/id_rsa. Keys with a
 * passphrase cannot be typed in here: they are skipped (or refused when named), use ssh-agent for them.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseKey } from './ssh2-client.js';
import { AbsyncError } from '../../errors.js';
import type { Endpoint } from './endpoint.js';
import type { SshOptions } from './ssh-options.js';

/** One way to authenticate, as ssh2's authHandler takes it, plus a name for messages. */
export type AuthStep =
  | { readonly type: 'publickey'; readonly username: string; readonly key: Buffer; readonly label: string }
  | { readonly type: 'agent'; readonly username: string; readonly agent: string; readonly label: string };

/** The key in `file`, or why it cannot be used; undefined when the file does not exist. */
function loadKey(file: string): Buffer | string | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return `cannot read it (${code})`;
  }
  const parsed = parseKey(data);
  if (parsed instanceof Error) return /encrypted|passphrase/i.test(parsed.message) ? 'it has a passphrase (load it into ssh-agent instead)' : parsed.message;
  return data;
}

export function authSteps(endpoint: Endpoint, options: SshOptions): AuthStep[] {
  const username = endpoint.user;
  if (options.identity !== undefined) {
    const key = loadKey(options.identity);
    if (key === undefined) throw new AbsyncError('E_AUTH', `identity key file ${options.identity} does not exist`, options.identity);
    if (typeof key === 'string') throw new AbsyncError('E_AUTH', `cannot use identity key file ${options.identity}: ${key}`, options.identity);
    return [{ type: 'publickey', username, key, label: `key ${options.identity}` }];
  }
  const steps: AuthStep[] = [];
  const agent = options.agent === false ? undefined : (options.agent ?? process.env.SSH_AUTH_SOCK);
  if (agent) steps.push({ type: 'agent', username, agent, label: `ssh-agent (${agent})` });
  const ssh = join(homedir(), '.ssh');
  const files = [...endpoint.identityFiles, join(ssh, 'id_ed25519'), join(ssh, 'id_rsa')];
  for (const file of [...new Set(files)]) {
    const key = loadKey(file);
    if (Buffer.isBuffer(key)) steps.push({ type: 'publickey', username, key, label: `key ${file}` });
  }
  if (steps.length === 0) {
    throw new AbsyncError(
      'E_AUTH',
      `no SSH key to log in to ${endpoint.alias} with: give an identity key file, start ssh-agent (SSH_AUTH_SOCK), or create ~/.ssh/id_ed25519`,
      endpoint.alias,
    );
  }
  return steps;
}
