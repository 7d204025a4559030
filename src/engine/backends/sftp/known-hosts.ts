/**
 * OpenSSH known_hosts files: which host keys are trusted for a host. Understands host patterns (`*`, `?`, `!`), comma
 * lists, `[host]:port` entries for ports other than 22, hashed `|1|salt|hash` entries (HMAC-SHA1 of the name) and the
 * `@revoked` marker (`@cert-authority` lines are skipped: certificates are not used here). A host is checked under the
 * name it is reached by (after ~/.ssh/config's HostName), as ssh does.
 */
import { createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the known_hosts file says about a host's key. */
export type HostKeyVerdict =
  | { readonly status: 'known' }
  /** The host is not in the file at all. */
  | { readonly status: 'unknown' }
  /** The host is in the file with other keys (or this key is revoked): always refused. */
  | { readonly status: 'mismatch'; readonly line: number; readonly revoked?: boolean };

interface KnownLine {
  readonly line: number;
  readonly marker: '' | '@revoked';
  readonly patterns: string;
  readonly type: string;
  readonly key: Buffer;
}

/** The name a host is written under: `host` on port 22, `[host]:port` elsewhere. */
export function hostName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

function parseLines(text: string): KnownLine[] {
  const out: KnownLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownLine['marker'] = '';
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@revoked') return;
      marker = '@revoked';
      fields.shift();
    }
    const [patterns, type, base64] = fields;
    if (patterns === undefined || type === undefined || base64 === undefined) return;
    out.push({ line: i + 1, marker, patterns, type, key: Buffer.from(base64, 'base64') });
  });
  return out;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatch(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (salt === undefined || hash === undefined) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** OpenSSH's match_hostname: a negated pattern that matches wins; otherwise any positive match. */
function matches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatch(patterns, name);
  let found = false;
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!');
    if (!globToRegExp(negated ? p.slice(1) : p).test(name)) continue;
    if (negated) return false;
    found = true;
  }
  return found;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`...). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Checks `key` (the server's public key blob) for host `name` (see hostName) against known_hosts text. */
export function checkHostKey(text: string, name: string, key: Buffer): HostKeyVerdict {
  const lines = parseLines(text).filter((l) => matches(l.patterns, name));
  const revoked = lines.find((l) => l.marker === '@revoked' && l.key.equals(key));
  if (revoked) return { status: 'mismatch', line: revoked.line, revoked: true };
  const trusted = lines.filter((l) => l.marker === '');
  if (trusted.some((l) => l.key.equals(key))) return { status: 'known' };
  const first = trusted[0];
  return first ? { status: 'mismatch', line: first.line } : { status: 'unknown' };
}

/** The key types known_hosts holds for `name`, so that the handshake asks the server for one of them first. */
export function knownKeyTypes(text: string, name: string): string[] {
  const types = parseLines(text).filter((l) => l.marker === '' && matches(l.patterns, name)).map((l) => l.type);
  return [...new Set(types)];
}

/** The known_hosts text, or '' when the file does not exist. */
export async function readKnownHosts(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** Records a newly trusted key, as `StrictHostKeyChecking=accept-new` does (the file and its folder made if missing). */
export async function recordHostKey(file: string, name: string, key: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const text = await readKnownHosts(file);
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${sep}${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
}
