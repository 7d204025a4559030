/** Whom the remote tree trusts and how it logs in, against a real OpenSSH server. */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSftpTree } from '../../src/engine/backends/sftp/index.js';
import { openTree, skipReason, trust, useServer } from '../helpers/remote.js';
import { makeKeyPair } from '../helpers/sshd.js';
import { tmp } from '../helpers/tree.js';

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    const tree = await p;
    await (tree as { close(): Promise<void> }).close();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('remote connect: host keys', { skip: skipReason }, () => {
  const server = useServer();

  it('refuses an unknown host, naming the host and the file, and records nothing', async () => {
    const srv = server();
    const known = join(tmp(), 'known_hosts');
    writeFileSync(known, '# nothing yet\n');
    const err = await refusal(openTree(srv, tmp(), { knownHosts: known }));
    assert.equal(err.code, 'E_HOST_KEY');
    assert.match(err.message, new RegExp(`host \\[127\\.0\\.0\\.1\\]:${srv.port} is not in ${known}; refusing an unknown host`));
    assert.equal(readFileSync(known, 'utf8'), '# nothing yet\n');
  });

  it('with acceptNewHostKey, trusts and records an unknown host; the next connection knows it', async () => {
    const srv = server();
    const known = join(tmp(), 'no', 'such', 'dir', 'known_hosts');
    const tree = await openTree(srv, tmp(), { knownHosts: known, acceptNewHostKey: true });
    await tree.close();
    assert.equal(readFileSync(known, 'utf8'), `[127.0.0.1]:${srv.port} ${srv.hostKey}\n`);
    const again = await openTree(srv, tmp(), { knownHosts: known });
    await again.close();
  });

  it('refuses a changed host key always, acceptNewHostKey or not, naming the host, the file and the line', async () => {
    const srv = server();
    const known = join(tmp(), 'known_hosts');
    const other = makeKeyPair(join(tmp(), 'other'), 'other').split(' ').slice(0, 2).join(' ');
    writeFileSync(known, `# a comment\n[127.0.0.1]:${srv.port} ${other}\n`);
    for (const acceptNewHostKey of [false, true]) {
      const err = await refusal(openTree(srv, tmp(), { knownHosts: known, acceptNewHostKey }));
      assert.equal(err.code, 'E_HOST_KEY');
      assert.equal(err.message, `host key for [127.0.0.1]:${srv.port} does not match the one in ${known} (line 2); refusing to connect`);
    }
    assert.equal(readFileSync(known, 'utf8'), `# a comment\n[127.0.0.1]:${srv.port} ${other}\n`);
  });

  it('understands a hashed known_hosts entry', async () => {
    const srv = server();
    const known = join(tmp(), 'known_hosts');
    const salt = randomBytes(20);
    const name = createHmac('sha1', salt).update(`[127.0.0.1]:${srv.port}`).digest('base64');
    writeFileSync(known, `|1|${salt.toString('base64')}|${name} ${srv.hostKey}\n`);
    const tree = await openTree(srv, tmp(), { knownHosts: known });
    await tree.close();
  });
});

describe('remote connect: keys and reachability', { skip: skipReason }, () => {
  const server = useServer();

  it('refuses when the server takes none of the keys offered, naming them', async () => {
    const srv = server();
    const wrong = join(tmp(), 'wrong_key');
    makeKeyPair(wrong, 'wrong');
    const err = await refusal(openTree(srv, tmp(), { identity: wrong }));
    assert.equal(err.code, 'E_AUTH');
    assert.match(err.message, new RegExp(`root@127\\.0\\.0\\.1 port ${srv.port} refused every key offered \\(key ${wrong}\\)`));
  });

  it('refuses a missing identity file with a one-line message', async () => {
    const err = await refusal(openTree(server(), tmp(), { identity: '/no/such/key' }));
    assert.equal(err.code, 'E_AUTH');
    assert.equal(err.message, 'identity key file /no/such/key does not exist');
  });

  it('a closed port is E_CONNECT after a bounded number of tries, quickly', async () => {
    const srv = server();
    const t0 = Date.now();
    const err = await refusal(openSftpTree(`root@127.0.0.1:${tmp()}`, { ...trust(srv), sshPort: 1, connectAttempts: 2 }));
    assert.equal(err.code, 'E_CONNECT');
    assert.match(err.message, /cannot connect to 127\.0\.0\.1 port 1: .*ECONNREFUSED.* \(2 tries\)/);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('takes HostName, User, Port and IdentityFile from an ssh config Host alias', async () => {
    const srv = server();
    const dir = tmp();
    const key = join(dir, 'id');
    copyFileSync(srv.key, key);
    const config = join(dir, 'config');
    writeFileSync(config, `Host deploy-box\n  HostName 127.0.0.1\n  User ${srv.user}\n  Port ${srv.port}\n  IdentityFile ${key}\n`);
    const target = tmp();
    const tree = await openSftpTree(`deploy-box:${target}`, { knownHosts: srv.knownHosts, sshConfig: config, agent: false });
    try {
      assert.equal(tree.remoteRoot, target);
      assert.equal(tree.root, `sftp://${srv.user}@deploy-box:${srv.port}${target}`);
    } finally {
      await tree.close();
    }
  });

  it('a relative path is relative to the login folder, and links on the way to the root are resolved', async () => {
    const srv = server();
    const home = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${srv.user}:`))?.split(':')[5] ?? '/';
    const tree = await openSftpTree(`${srv.user}@127.0.0.1:`, trust(srv));
    try {
      assert.equal(tree.remoteRoot, home);
    } finally {
      await tree.close();
    }
    const real = tmp();
    const via = join(tmp(), 'via-link');
    symlinkSync(real, via);
    const linked = await openTree(srv, join(via, 'not-yet'));
    try {
      assert.equal(linked.remoteRoot, join(real, 'not-yet'));
    } finally {
      await linked.close();
    }
  });

  it('refuses a destination that is a file', async () => {
    const file = join(tmp(), 'f');
    writeFileSync(file, 'x');
    const err = await refusal(openTree(server(), file));
    assert.equal(err.code, 'E_DEST_NOT_DIR');
    assert.match(err.message, /destination exists and is not a folder: /);
  });
});
