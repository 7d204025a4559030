/**
 * A vinyl stream can be read once, but a mirror needs its size before planning, may hash it, and then writes it:
 * so its bytes go to a private temporary file first (never inside the destination, whose temporary names the
 * engine treats as leftovers of a killed run).
 */
import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplacementScanner } from './encoding-check.js';

export interface Spooled {
  readonly path: string;
  readonly size: number;
  /** The bytes contain U+FFFD (see encoding-check.ts). */
  readonly replacement: boolean;
}

/** A folder of spooled streams for one flush; removed by `remove()`. */
export class SpoolDir {
  private dir: Promise<string> | undefined;
  private count = 0;

  private folder(): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'absync-spool-'));
    return this.dir;
  }

  /**
   * Copies a readable to a new file in the folder. Events, not async iteration: vinyl-fs' contents are streamx
   * duplexes whose async iterator waits for a 'close' that never comes once their readable side has ended.
   */
  async spool(input: NodeJS.ReadableStream): Promise<Spooled> {
    const path = join(await this.folder(), String(this.count++));
    const scanner = new ReplacementScanner();
    const out = createWriteStream(path, { mode: 0o600 });
    let size = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        input.on('data', (chunk: unknown) => {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
          scanner.push(bytes);
          size += bytes.byteLength;
          if (!out.write(bytes)) {
            input.pause();
            out.once('drain', () => input.resume());
          }
        });
        input.once('end', () => out.end(resolve));
        input.once('error', reject);
        out.once('error', reject);
      });
    } finally {
      out.destroy();
    }
    return { path, size, replacement: scanner.found };
  }

  /** Keeps the folder until the process exits (its files are still to be read by whoever receives them). */
  async removeAtExit(): Promise<void> {
    if (this.dir === undefined) return;
    const dir = await this.dir.catch(() => undefined);
    if (dir !== undefined) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    this.dir = undefined;
  }

  async remove(): Promise<void> {
    if (this.dir === undefined) return;
    const dir = await this.dir.catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}
