/**
 * The two parts of ssh2 a client uses, loaded without ssh2's index (which also loads its SSH server, its HTTP(S)
 * agents with node:http, node:https and node:tls, and its key generator: 10-25 ms of each remote run's start here),
 * and only when first used: the TCP connection is opened before them (connect.ts), so the server's greeting arrives
 * while they load. ssh2 1.x has no exports map, so these paths are its files.
 */
import { createRequire } from 'node:module';
import type ssh2 from 'ssh2';

const require = createRequire(import.meta.url);

let clientClass: typeof ssh2.Client | undefined;
let keyParser: typeof ssh2.utils.parseKey | undefined;

/** A new ssh2 Client. */
export function newClient(): ssh2.Client {
  clientClass ??= require('ssh2/lib/client.js') as typeof ssh2.Client;
  return new clientClass();
}

export function parseKey(data: Buffer | string, passphrase?: Buffer | string): ReturnType<typeof ssh2.utils.parseKey> {
  keyParser ??= (require('ssh2/lib/protocol/keyParser.js') as { readonly parseKey: typeof ssh2.utils.parseKey }).parseKey;
  return keyParser(data, passphrase);
}
