/**
 * A gulp plugin's output may have no reader (the plugin is the last step of a pipeline, as gulp.dest usually is).
 * An object stream with nobody reading holds 16 files and then stops: 'end' never comes and the task never
 * finishes. Like vinyl-fs' sink (the `lead` module), let the stream flow whenever it has no 'data' or 'readable'
 * listener; a reader that arrives later (a pipe) takes over.
 */
import type { Readable } from 'node:stream';

function hasReaders(stream: Readable): boolean {
  return stream.listenerCount('data') > 0 || stream.listenerCount('readable') > 0;
}

export function keepFlowing<T extends Readable>(stream: T): T {
  const sink = (): void => {
    if (!hasReaders(stream) && stream.readableFlowing !== true && !stream.destroyed) stream.resume();
  };
  const onListenersChanged = (event: string | symbol): void => {
    // 'newListener' fires before the listener is added: look again once it is in place (or gone).
    if (event === 'data' || event === 'readable') process.nextTick(sink);
  };
  stream.on('newListener', onListenersChanged);
  stream.on('removeListener', onListenersChanged);
  process.nextTick(sink);
  return stream;
}
