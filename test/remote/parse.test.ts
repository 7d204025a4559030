/** The parts of the remote backend that need no server: destinations, known_hosts, ~/.ssh/config, times. */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveEndpoint } from '../../src/engine/backends/sftp/endpoint.js';
import { checkHostKey, hostName, knownKeyTypes, recordHostKey } from '../../src/engine/backends/sftp/known-hosts.js';
import { touchTime } from '../../src/engine/backends/sftp/remote-times.js';
import { parseRemote } from '../../src/engine/index.js';
import { parseFindTime } from '../../src/engine/backends/sftp/scan-exec.js';
import { tmp } from '../helpers/tree.js';

describe('remote destinations: parsing', () => {
  const cases: [string, ReturnType<typeof parseRemote>][] = [
    ['user@host:/srv/www', { user: 'user', host: 'host', path: '/srv/www', form: 'scp' }],
    ['host:www', { host: 'host', path: 'www', form: 'scp' }],
    ['host:', { host: 'host', path: '', form: 'scp' }],
    ['deploy@web.example.com:site/a:b', { user: 'deploy', host: 'web.example.com', path: 'site/a:b', form: 'scp' }],
    ['me@[::1]:/x', { user: 'me', host: '::1', path: '/x', form: 'scp' }],
    ['sftp://user@host:2222/srv/www', { user: 'user', host: 'host', port: 2222, path: '/srv/www', form: 'url' }],
    ['sftp://host/~/www', { host: 'host', path: 'www', form: 'url' }],
    ['sftp://host', { host: 'host', path: '', form: 'url' }],
    ['sftp://a%40b@[fe80::1]:22/my%20site', { user: 'a@b', host: 'fe80::1', port: 22, path: '/my site', form: 'url' }],
    ['C:\\x', undefined],
    ['C:/x', undefined],
    ['c:', undefined],
    ['./a:b', undefined],
    ['/abs/a:b', undefined],
    ['plain/folder', undefined],
    ['folder', undefined],
  ];
  for (const [text, want] of cases) {
    it(`${JSON.stringify(text)} -> ${want ? `${want.host} ${JSON.stringify(want.path)}` : 'local'}`, () => {
      assert.deepEqual(parseRemote(text), want);
    });
  }

  it('refuses malformed remote destinations with a message naming them', () => {
    assert.throws(() => parseRemote('sftp://host:99999/x'), /invalid remote destination "sftp:\/\/host:99999\/x": port must be 1-65535/);
    assert.throws(() => parseRemote('@host:/x'), /empty user name/);
    assert.throws(() => parseRemote('host::module'), /rsync daemon/);
    assert.throws(() => parseRemote(':x'), /no host/);
  });
});

describe('known_hosts', () => {
  const key = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), randomBytes(36)]);
  const other = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), randomBytes(36)]);
  const b64 = key.toString('base64');

  it('matches plain, [host]:port, wildcard and hashed entries, and honours negation', () => {
    assert.equal(checkHostKey(`web ssh-ed25519 ${b64}\n`, 'web', key).status, 'known');
    assert.equal(checkHostKey(`web ssh-ed25519 ${b64}\n`, hostName('web', 2222), key).status, 'unknown');
    assert.equal(checkHostKey(`[web]:2222 ssh-ed25519 ${b64}\n`, hostName('WEB', 2222), key).status, 'known');
    assert.equal(checkHostKey(`*.example.com,!bad.example.com ssh-ed25519 ${b64}\n`, 'a.example.com', key).status, 'known');
    assert.equal(checkHostKey(`*.example.com,!bad.example.com ssh-ed25519 ${b64}\n`, 'bad.example.com', key).status, 'unknown');
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[127.0.0.1]:2200').digest('base64')}`;
    assert.equal(checkHostKey(`# comment\n${hashed} ssh-ed25519 ${b64}\n`, '[127.0.0.1]:2200', key).status, 'known');
    assert.equal(checkHostKey(`${hashed} ssh-ed25519 ${b64}\n`, '[127.0.0.2]:2200', key).status, 'unknown');
  });

  it('calls another key for a known host a mismatch, with its line; a revoked key too', () => {
    assert.deepEqual(checkHostKey(`\nweb ssh-ed25519 ${other.toString('base64')}\n`, 'web', key), { status: 'mismatch', line: 2 });
    assert.deepEqual(checkHostKey(`@revoked web ssh-ed25519 ${b64}\nweb ssh-ed25519 ${b64}\n`, 'web', key), { status: 'mismatch', line: 1, revoked: true });
    assert.deepEqual(knownKeyTypes(`web ssh-rsa AAAA\nweb ssh-ed25519 ${b64}\n`, 'web'), ['ssh-rsa', 'ssh-ed25519']);
  });

  it('records a new key as [host]:port with its type, creating the file', async () => {
    const file = join(tmp(), 'ssh', 'known_hosts');
    await recordHostKey(file, hostName('127.0.0.1', 2200), key);
    await recordHostKey(file, hostName('h', 22), other);
    const text = readFileSync(file, 'utf8');
    assert.equal(text, `[127.0.0.1]:2200 ssh-ed25519 ${b64}\nh ssh-ed25519 ${other.toString('base64')}\n`);
    assert.equal(checkHostKey(text, '[127.0.0.1]:2200', key).status, 'known');
  });
});

describe('~/.ssh/config aliases', () => {
  it('takes HostName, User, Port and IdentityFile from a Host block; the destination and options win', () => {
    const dir = tmp();
    const config = join(dir, 'config');
    writeFileSync(config, ['Host web', '  HostName 127.0.0.9', '  User deploy', '  Port 2201', '  IdentityFile ~/.ssh/web_key', '', 'Host *', '  User fallback', ''].join('\n'));
    assert.deepEqual(resolveEndpoint({ host: 'web', path: '/x', form: 'scp' }, { sshConfig: config }), {
      host: '127.0.0.9', port: 2201, user: 'deploy', alias: 'web', identityFiles: [join(process.env.HOME ?? '', '.ssh/web_key')],
    });
    const mine = resolveEndpoint({ host: 'web', user: 'me', path: '/x', form: 'scp' }, { sshConfig: config, sshPort: 2300 });
    assert.equal(mine.user, 'me');
    assert.equal(mine.port, 2300);
    const other = resolveEndpoint({ host: 'other', path: '', form: 'scp' }, { sshConfig: config });
    assert.deepEqual([other.host, other.port, other.user], ['other', 22, 'fallback']);
    const none = resolveEndpoint({ host: 'web', path: '', form: 'scp' }, { sshConfig: false });
    assert.deepEqual([none.host, none.port], ['web', 22]);
  });
});

describe('remote times', () => {
  it('reads find %T@ to the microsecond exactly as the local scan computes mtimes', () => {
    assert.equal(parseFindTime('1700000000.1234567890'), Number(1700000000123456n) / 1000);
    assert.equal(parseFindTime('1700000000.0000000000'), 1700000000000);
    assert.equal(parseFindTime('5.5'), 5500);
    // Before 1970 find prints the seconds below and the nanoseconds after them: -1001.75 is -1000.25 s.
    assert.equal(parseFindTime('-1001.7500000000'), -1000250);
    assert.equal(parseFindTime('-2.9999995000'), -1000, '-1.0000005 s: the microsecond toward zero');
  });

  it('gives touch the exact microsecond', () => {
    assert.equal(touchTime(Number(1700000000123456n) / 1000), '@1700000000.123456');
    assert.equal(touchTime(1700000000000), '@1700000000.000000');
    assert.equal(touchTime(1000.001), '@1.000001');
    assert.equal(touchTime(-1000250), '@-1000.250000', 'before 1970: the sign, then the exact decimal');
    assert.equal(touchTime(-0.001), '@-0.000001');
  });
});
