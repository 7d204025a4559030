/**
 * The request coalescer on its own: what ssh2's SFTP channel hands its Protocol comes out as fewer CHANNEL_DATA
 * messages, in the same order, none over the channel's packet size, and nothing is held back past the tick or past a
 * close. (Against a real server every remote test goes through it; this pins the edges.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type ssh2 from 'ssh2';
import { coalesceRequests } from '../../src/engine/backends/sftp/coalesce.js';

interface Sent {
  readonly kind: 'data' | 'close';
  readonly id: number;
  readonly data?: Buffer;
}

function channel(packetSize: number): { ch: ssh2.SFTPWrapper & { _protocol: { channelData(id: number, d: Buffer): void; channelClose(id: number): void } }; sent: Sent[] } {
  const sent: Sent[] = [];
  const protocol = {
    channelData: (id: number, data: Buffer) => void sent.push({ kind: 'data', id, data: Buffer.from(data) }),
    channelClose: (id: number) => void sent.push({ kind: 'close', id }),
  };
  const ch = { _protocol: protocol, outgoing: { id: 7, packetSize } } as unknown as ReturnType<typeof channel>['ch'];
  coalesceRequests(ch);
  return { ch, sent };
}

const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('SFTP request coalescing', () => {
  it('sends the requests of one tick as one message, bytes in order', async () => {
    const { ch, sent } = channel(32 * 1024);
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.from(`request ${i};`));
    for (const p of parts) ch._protocol.channelData(7, p);
    assert.equal(sent.length, 0, 'held until the tick ends');
    await tick();
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]?.data, Buffer.concat(parts));
  });

  it('never makes a message bigger than the packet size, and a big payload goes after what was queued', async () => {
    const { ch, sent } = channel(100);
    const small = Array.from({ length: 12 }, (_, i) => Buffer.alloc(30, 65 + i));
    for (const p of small.slice(0, 5)) ch._protocol.channelData(7, p);
    const big = Buffer.alloc(100, 122);
    ch._protocol.channelData(7, big);
    for (const p of small.slice(5)) ch._protocol.channelData(7, p);
    await tick();
    for (const s of sent) assert.ok((s.data?.length ?? 0) <= 100, `message of ${s.data?.length}`);
    assert.deepEqual(Buffer.concat(sent.map((s) => s.data as Buffer)), Buffer.concat([...small.slice(0, 5), big, ...small.slice(5)]));
  });

  it('sends what is queued before a close, and each tick\'s requests separately', async () => {
    const { ch, sent } = channel(32 * 1024);
    ch._protocol.channelData(7, Buffer.from('a'));
    await tick();
    ch._protocol.channelData(7, Buffer.from('b'));
    ch._protocol.channelClose(7);
    assert.deepEqual(sent.map((s) => `${s.kind}:${s.data?.toString() ?? ''}`), ['data:a', 'data:b', 'close:']);
    await tick();
    assert.equal(sent.length, 3, 'nothing sent twice');
  });

  it('leaves a channel it does not recognise as it is', () => {
    const odd = { outgoing: { packetSize: 10 } } as unknown as ssh2.SFTPWrapper;
    coalesceRequests(odd);
    assert.equal((odd as unknown as { _protocol?: unknown })._protocol, undefined);
  });
});
