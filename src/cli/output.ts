/**
 * stdout and stderr as the CLI writes them. A reader that goes away (`absync -v ... | head -2`) must never abort a
 * run or leave its lock behind: the stream's EPIPE is caught once, that stream is written no more, and the run
 * goes on to its end and its exit code. Node ignores SIGPIPE, so a closed pipe shows up only as that error.
 */
import type { Writable } from 'node:stream';

/** One of the two output streams, safe to write after its reader is gone. */
export class Output {
  private closed = false;

  constructor(readonly stream: Writable & { isTTY?: boolean; columns?: number }) {
    stream.on('error', () => {
      // EPIPE (reader gone), EBADF (closed fd) or worse: either way nothing more can be shown there.
      this.closed = true;
    });
  }

  /** True while the reader is there. */
  get open(): boolean {
    return !this.closed && !this.stream.destroyed;
  }

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  /** Writes text as it is (no newline added). */
  write(text: string): void {
    if (this.open) this.stream.write(text);
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** Bytes still queued for a reader that is there (0 once it is gone: they will never be written). */
  get pending(): number {
    return this.open ? this.stream.writableLength : 0;
  }
}

export const stdout = new Output(process.stdout);
export const stderr = new Output(process.stderr);

/** An error line on stderr: `absync: <text>`. */
export function warn(text: string): void {
  stderr.line(`absync: ${text}`);
}
