/**
 * The two parts of ssh2 a client uses, loaded without ssh2's index: the index also loads its SSH server, its HTTP(S)
 * agents (node:http, node:https and node:tls with them) and its key generator, 10-25 ms of each remote run's start
 * here. ssh2 1.x has no exports map, so these paths are its files.
 */
import { createRequire } from 'node:module';
import type ssh2 from 'ssh2';

const require = createRequire(import.meta.url);

export const Client = require('ssh2/lib/client.js') as typeof ssh2.Client;

export const parseKey = (require('ssh2/lib/protocol/keyParser.js') as { readonly parseKey: typeof ssh2.utils.parseKey }).parseKey;
