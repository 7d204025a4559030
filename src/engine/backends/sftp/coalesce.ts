/**
 * ssh2 sends every SFTP request as an SSH packet of its own: with hundreds of small files in flight, a first copy is
 * six packets per file, and each packet costs the client a random padding, an encryption and a buffer (and the
 * server a decryption). SFTP is a byte stream inside the channel, so the requests made in one tick can travel in one
 * CHANNEL_DATA message instead, up to the channel's packet size. This wraps the one Protocol method an SFTP channel
 * sends its requests through (ssh2 1.x's SFTP.js calls `this._protocol.channelData` for data and
 * `this._protocol.channelClose` at end; the window is counted before that call, per request, so it stays right).
 */
import type ssh2 from 'ssh2';

interface ProtocolLike {
  channelData(id: number, data: Buffer): void;
  channelClose(id: number): void;
}

interface ChannelInternals {
  _protocol?: ProtocolLike;
  outgoing?: { packetSize?: number };
}

/** Makes `sftp` send the requests of one tick together. A channel not shaped as expected is left as it is. */
export function coalesceRequests(sftp: ssh2.SFTPWrapper): void {
  const ch = sftp as unknown as ChannelInternals;
  const protocol = ch._protocol;
  if (!protocol || typeof protocol.channelData !== 'function' || typeof protocol.channelClose !== 'function') return;
  let queued: Buffer[] = [];
  let queuedBytes = 0;
  let queuedId = -1;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (queued.length === 0) return;
    const parts = queued;
    queued = [];
    queuedBytes = 0;
    protocol.channelData(queuedId, parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
  };
  ch._protocol = {
    channelData(id: number, data: Buffer): void {
      const max = ch.outgoing?.packetSize ?? 32 * 1024;
      // Big payloads (a 255 KiB write arrives in packet-sized pieces) go as they come, after what is queued.
      if (id !== queuedId || queuedBytes + data.length > max) flush();
      if (data.length >= max) {
        protocol.channelData(id, data);
        return;
      }
      queuedId = id;
      // Every request is a buffer of its own in ssh2's SFTP.js (allocUnsafe per call), so no copy is kept.
      queued.push(data);
      queuedBytes += data.length;
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    },
    channelClose(id: number): void {
      flush();
      protocol.channelClose(id);
    },
  };
}
