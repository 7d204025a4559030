/**
 * SourceTree.readWhole for the native tree: the batches asked for in one turn of the event loop (a remote write reads
 * ahead for many folders at once) go to the addon together, one trip to a pool thread for several folders. Each trip
 * wakes a pool thread, and on two cores the woken thread takes the main thread's core: a trip per folder cost a 20k
 * file first copy a fifth of its main thread.
 */
import type { RelPath } from '../../types.js';
import type { WholeRead } from '../tree.js';
import type { Addon } from './addon.js';

/** Files per trip at most (about 2 MiB of small files: two trips can still go to two pool threads). */
const TRIP_FILES = 256;

interface Asked {
  readonly parent: RelPath;
  readonly files: readonly WholeRead[];
  readonly into: Uint8Array;
  readonly resolve: (ok: boolean[]) => void;
  readonly reject: (err: unknown) => void;
}

export class WholeReads {
  private asked: Asked[] = [];
  private files = 0;
  private recentMs = 0;
  private soon = false;

  constructor(private readonly addon: Addon, private readonly rootFd: () => number) {}

  read(parent: RelPath, files: readonly WholeRead[], into: Uint8Array, recentMs: number): Promise<boolean[]> {
    if (this.asked.length > 0 && recentMs !== this.recentMs) this.send();
    return new Promise((resolve, reject) => {
      this.asked.push({ parent, files, into, resolve, reject });
      this.files += files.length;
      this.recentMs = recentMs;
      if (this.files >= TRIP_FILES) this.send();
      else if (!this.soon) {
        this.soon = true;
        setImmediate(() => {
          this.soon = false;
          this.send();
        });
      }
    });
  }

  private send(): void {
    const asked = this.asked;
    if (asked.length === 0) return;
    this.asked = [];
    this.files = 0;
    const numbers: number[] = [];
    const names: string[] = [];
    asked.forEach((a, k) => {
      for (const f of a.files) {
        names.push(f.name);
        numbers.push(f.source.ino !== 0 ? f.source.ino : -1, f.source.size, Math.round(f.source.mtimeMs * 1000), f.source.mode & 0o7777, f.offset, k);
      }
    });
    const done = this.addon.results.done;
    let trip;
    try {
      trip = this.addon.readFiles(this.rootFd(), asked.map((a) => a.parent), names, numbers, asked.map((a) => a.into), this.recentMs * 1e6);
    } catch (err) {
      for (const a of asked) a.reject(err);
      return;
    }
    trip.then((r) => {
      let i = 0;
      for (const a of asked) {
        const ok = new Array<boolean>(a.files.length);
        for (let k = 0; k < ok.length; k++) ok[k] = r.results[i++] === done;
        a.resolve(ok);
      }
    }, (err: unknown) => {
      for (const a of asked) a.reject(err);
    });
  }
}
