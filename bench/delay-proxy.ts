/**
 * A TCP proxy on 127.0.0.1 that holds every chunk for `delayMs` in each direction (order kept): a WAN-like round trip
 * of 2 x delayMs for loopback benchmarks, without touching the machine's qdisc. Both rsync and absync connect
 * through it in the remote bench's RTT runs.
 */
import net from 'node:net';

export interface DelayProxy {
  readonly port: number;
  close(): Promise<void>;
}

function pipeDelayed(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: { at: number; data: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && (queue[0] as { at: number }).at <= now) to.write((queue.shift() as { data: Buffer }).data);
    if (queue.length > 0) timer = setTimeout(flush, (queue[0] as { at: number }).at - now);
  };
  from.on('data', (data: Buffer) => {
    queue.push({ at: Date.now() + delayMs, data });
    timer ??= setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    const last = queue[queue.length - 1];
    setTimeout(() => to.end(), last ? Math.max(0, last.at - Date.now() + 1) : 0);
  });
  from.on('error', () => to.destroy());
  from.on('close', () => setTimeout(() => to.destroy(), delayMs + 5));
}

export function startDelayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, '127.0.0.1');
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    pipeDelayed(client, upstream, delayMs);
    pipeDelayed(upstream, client, delayMs);
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        close: () => new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
