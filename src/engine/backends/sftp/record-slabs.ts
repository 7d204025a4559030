/**
 * Buffers for batches of write records (write-helper.ts), carved from a few slabs that are used again once every
 * batch in them is answered. A first copy lays out its bytes once; fresh buffers for them (160 MB for the 20k set)
 * grew V8's external memory past its limit every 64 MB, each time a full mark-compact on the main thread and on
 * V8's workers. A batch's bytes are let go only once perl has answered all of its records, so perl has read them:
 * nothing of a slab is still queued for the channel when it is used again.
 */

/** A slab's size: a few batches (up to 256 KiB of bytes and their heads each). */
const SLAB = 1 << 20;
/** Slabs kept for use again at most: the read-ahead and in-turn budgets of two helpers hold no more. */
const KEEP = 40;

interface Slab {
  readonly bytes: ArrayBuffer;
  used: number;
  live: number;
}

/** A buffer of a slab and the function that lets it go (once, when its records are all answered). */
export interface SlabBuffer {
  readonly buf: Buffer;
  readonly release: () => void;
}

export class RecordSlabs {
  private current: Slab | undefined;
  private readonly free: Slab[] = [];

  take(size: number): SlabBuffer {
    // A batch bigger than half a slab would leave most of one unused: a buffer of its own.
    if (size > SLAB / 2) return { buf: Buffer.allocUnsafe(size), release: () => undefined };
    let slab = this.current;
    if (!slab || slab.used + size > SLAB) {
      if (slab && slab.live === 0) this.keep(slab);
      slab = this.free.pop() ?? { bytes: new ArrayBuffer(SLAB), used: 0, live: 0 };
      this.current = slab;
    }
    const buf = Buffer.from(slab.bytes, slab.used, size);
    slab.used += size;
    slab.live++;
    const s = slab;
    let gone = false;
    return {
      buf,
      release: () => {
        if (gone) return;
        gone = true;
        if (--s.live === 0 && s !== this.current) this.keep(s);
      },
    };
  }

  private keep(slab: Slab): void {
    slab.used = 0;
    if (this.free.length < KEEP) this.free.push(slab);
  }
}
