/**
 * One SSH connection: the host key checked against known_hosts (an unknown host refused unless acceptNewHostKey, a
 * changed key always), keys offered in ssh's order, keepalives, and a few tries for the connect itself only (a refused
 * or timed-out connection; never a key problem, and never once the session is up).
 */
import net from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type ssh2 from 'ssh2';
import { newClient } from './ssh2-client.js';
import { AbsyncError } from '../../errors.js';
import { type AuthStep, authSteps } from './auth.js';
import type { Endpoint } from './endpoint.js';
import { checkHostKey, hostName, knownKeyTypes, readKnownHosts, recordHostKey } from './known-hosts.js';
import { DEFAULTS, type RemoteOptions } from './ssh-options.js';

/** ssh2's host key algorithms, in its default order; the types known_hosts holds for the host go first. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
];

function algorithmsFor(types: readonly string[]): string[] {
  const first = types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])).filter((a) => HOST_KEY_ALGORITHMS.includes(a));
  return [...new Set([...first, ...HOST_KEY_ALGORITHMS])];
}

/**
 * ssh2 writes every SSH packet to the socket on its own: with hundreds of SFTP requests in flight that is a system
 * call and a TCP segment per request on both ends. Corking the socket until the current tick's work is done sends
 * them together (measured by the prototype: it is part of what brought a first copy to rsync's time).
 */
function corkWrites(sock: net.Socket): void {
  const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    sock.uncork();
  };
  sock.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as typeof sock.write;
}

/** Errors worth another try: the server was not there (yet), or the network dropped the handshake. */
function transient(err: unknown): boolean {
  const e = err as { code?: string; level?: string };
  if (e.level === 'client-timeout') return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE'].includes(e.code ?? '');
}

interface Attempt {
  readonly client: ssh2.Client;
  /** Set by the host key check when it refused, so the error names the host and the file. */
  refusal?: AbsyncError;
}

/**
 * ssh2 makes an Error for every SFTP status that is not OK (each listing's end: a few per folder with read-ahead, a
 * path that is not there) while it parses what the server sent; capturing each one's stack was 60 ms of CPU in a
 * 2,000-folder SFTP scan. Errors made while a chunk is parsed carry no stack (only their messages are ever shown);
 * the limit is put back as soon as the chunk's handlers return, before any other callback runs.
 */
function stacklessParse(sock: net.Socket): void {
  const emit = sock.emit as (this: net.Socket, event: string | symbol, ...args: unknown[]) => boolean;
  sock.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'data') return emit.apply(this, [event, ...args]);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return emit.apply(this, [event, ...args]);
    } finally {
      Error.stackTraceLimit = limit;
    }
  } as typeof sock.emit;
}

/** A TCP connection to the server, ready for ssh2; an error before ssh2 takes it is kept for the attempt. */
interface Dialed {
  readonly sock: net.Socket;
  error?: Error;
}

function dial(endpoint: Endpoint): Dialed {
  const sock = net.connect({ host: endpoint.host, port: endpoint.port });
  const dialed: Dialed = { sock };
  sock.once('error', (err: Error) => {
    dialed.error ??= err;
  });
  sock.setNoDelay(true);
  corkWrites(sock);
  stacklessParse(sock);
  return dialed;
}

function attempt(endpoint: Endpoint, options: RemoteOptions, known: string, file: string, steps: readonly AuthStep[], dialed: Dialed): Promise<ssh2.Client> {
  const name = hostName(endpoint.host, endpoint.port);
  const state: Attempt = { client: newClient() };
  const where = `${endpoint.user}@${endpoint.alias}${endpoint.port !== 22 ? ` port ${endpoint.port}` : ''}`;
  return new Promise((resolve, reject) => {
    const { client } = state;
    client.once('ready', () => {
      // The session attaches its own handlers; until then an error must not be an unhandled 'error' event.
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', (err: Error & { level?: string }) => {
      client.end();
      if (state.refusal) return reject(state.refusal);
      if (err.level === 'client-authentication') {
        return reject(new AbsyncError('E_AUTH', `${where} refused every key offered (${steps.map((s) => s.label).join(', ')})`, endpoint.alias));
      }
      reject(err);
    });
    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      const verdict = checkHostKey(known, name, key);
      if (verdict.status === 'known') return verify(true);
      if (verdict.status === 'mismatch') {
        state.refusal = new AbsyncError(
          'E_HOST_KEY',
          `host key for ${name} ${verdict.revoked ? 'is revoked' : 'does not match'} the one in ${file} (line ${verdict.line}); refusing to connect`,
          endpoint.alias,
        );
        return verify(false);
      }
      if (!options.acceptNewHostKey) {
        state.refusal = new AbsyncError('E_HOST_KEY', `host ${name} is not in ${file}; refusing an unknown host (acceptNewHostKey: true trusts and records it)`, endpoint.alias, 'acceptNewHostKey');
        return verify(false);
      }
      recordHostKey(file, name, key).then(
        () => verify(true),
        (err: Error) => {
          state.refusal = new AbsyncError('E_HOST_KEY', `cannot record the host key of ${name} in ${file}: ${err.message}`, file);
          verify(false);
        },
      );
    };
    const queue = [...steps];
    const { sock } = dialed;
    // Refused (or reset) while ssh2 was loading: the attempt fails as ssh2 would have said.
    if (dialed.error) {
      sock.destroy();
      reject(dialed.error);
      return;
    }
    client.connect({
      sock,
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: options.connectTimeout ?? DEFAULTS.connectTimeout,
      keepaliveInterval: options.keepaliveInterval ?? DEFAULTS.keepaliveInterval,
      keepaliveCountMax: DEFAULTS.keepaliveCountMax,
      algorithms: { serverHostKey: algorithmsFor(knownKeyTypes(known, name)) as ssh2.ServerHostKeyAlgorithm[] },
      hostVerifier: hostVerifier as ssh2.HostVerifier,
      authHandler: (_methodsLeft, _partial, next) => {
        const step = queue.shift();
        if (!step) return next(false as unknown as ssh2.AnyAuthMethod);
        const { label: _label, ...method } = step;
        return next(method as ssh2.AnyAuthMethod);
      },
    });
  });
}

/** Connects and authenticates; throws AbsyncError E_HOST_KEY, E_AUTH or E_CONNECT with a one-line cause. */
export async function connect(endpoint: Endpoint, options: RemoteOptions): Promise<ssh2.Client> {
  // TCP first: its handshake and the server's greeting come while known_hosts and the keys are read and ssh2 loads
  // (one round trip less at 20 ms RTT).
  let early: Dialed | undefined = dial(endpoint);
  const file = options.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
  let known: string;
  let steps: readonly AuthStep[];
  try {
    known = await readKnownHosts(file).catch((err: Error) => {
      throw new AbsyncError('E_HOST_KEY', `cannot read known hosts file ${file}: ${err.message}`, file);
    });
    steps = authSteps(endpoint, options);
  } catch (err) {
    early.sock.destroy();
    throw err;
  }
  const tries = Math.max(1, options.connectAttempts ?? DEFAULTS.connectAttempts);
  for (let n = 1; ; n++) {
    try {
      const dialed = early ?? dial(endpoint);
      early = undefined;
      return await attempt(endpoint, options, known, file, steps, dialed);
    } catch (err) {
      if (err instanceof AbsyncError) throw err;
      if (n < tries && transient(err)) {
        await sleep(250 * 2 ** (n - 1));
        continue;
      }
      const cause = (err as Error).message.split('\n')[0];
      throw new AbsyncError('E_CONNECT', `cannot connect to ${endpoint.alias}${endpoint.host !== endpoint.alias ? ` (${endpoint.host})` : ''} port ${endpoint.port}: ${cause}${n > 1 ? ` (${n} tries)` : ''}`, endpoint.alias);
    }
  }
}
