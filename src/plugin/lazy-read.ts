/**
 * A readable that opens its file only when first read, like vinyl-fs' own contents streams: a file passed on
 * whose stream nobody reads must not hold a file descriptor.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export function lazyReadStream(path: string): Readable {
  let inner: ReadStream | undefined;
  return new Readable({
    read() {
      if (inner) {
        inner.resume();
        return;
      }
      inner = createReadStream(path);
      inner.on('data', (chunk) => {
        if (!this.push(chunk)) inner?.pause();
      });
      inner.on('end', () => this.push(null));
      inner.on('error', (err) => this.destroy(err));
    },
    destroy(err, callback) {
      inner?.destroy();
      callback(err);
    },
  });
}
