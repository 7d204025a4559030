/**
 * `--progress`: files and bytes done of the total, rate and ETA, on stderr. On a terminal, one line that overwrites
 * itself (at each of the engine's batched progress events, a few a second) and is cleared at the end; anywhere
 * else, a plain line every 10 seconds. Loaded only with --progress, so it costs nothing when off.
 *
 * Why not a library: cli-progress, the one that fits best (one small dependency), saves the cursor when its bar
 * starts and restores it when it stops, so every -v line printed in between would be overwritten at the end, and
 * its multi-bar `log()` buffer is not flushed when it stops; log-update brings five packages and exit handlers of
 * its own (signal-exit) that would race with ours. What is needed here is one line, a carriage return and Node's own
 * `clearLine`: done by hand with tty.WriteStream's methods, no escape codes spelled out.
 */
import type { WriteStream } from 'node:tty';
import type { Progress } from '../engine/index.js';
import { formatBytes } from '../shared/format.js';
import type { Output } from './output.js';

const PLAIN_EVERY_MS = 10_000;

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The figures of one progress event, in words. */
export function describeProgress(p: Progress, applyStartedMs: number): string {
  const parts = [`${p.filesDone}/${p.files} files`];
  if (p.bytes > 0) parts.push(`${formatBytes(p.bytesDone)}/${formatBytes(p.bytes)}`);
  const fraction = p.bytes > 0 ? p.bytesDone / p.bytes : p.actions > 0 ? p.actionsDone / p.actions : 1;
  parts.push(`${Math.floor(fraction * 100)}%`);
  const elapsed = p.elapsedMs - applyStartedMs;
  if (elapsed > 0 && p.bytesDone > 0) parts.push(`${formatBytes((p.bytesDone / elapsed) * 1000)}/s`);
  if (fraction > 0 && fraction < 1 && elapsed > 0) parts.push(`ETA ${duration((elapsed / fraction) * (1 - fraction))}`);
  return parts.join(', ');
}

export class ProgressLine {
  private shown = '';
  private lastPlain = 0;
  private plain = false;
  private applyStartedMs = 0;
  private latest: Progress | undefined;
  private readonly tty: WriteStream | undefined;

  constructor(private readonly out: Output) {
    this.tty = out.isTTY ? (out.stream as WriteStream) : undefined;
  }

  /** Each event from the engine (already batched to a few a second). */
  update(p: Progress): void {
    if (p.phase === 'scan') return;
    if (p.phase === 'plan') this.applyStartedMs = p.elapsedMs;
    this.latest = p;
    if (p.actions === 0 || p.phase === 'done') return;
    if (this.tty) {
      this.draw(describeProgress(p, this.applyStartedMs));
    } else if (p.phase === 'plan' || p.elapsedMs - this.lastPlain >= PLAIN_EVERY_MS) {
      // Off a terminal: a line when the totals are known, then one every 10 s, and the last at the end.
      this.lastPlain = p.elapsedMs;
      this.plain = true;
      this.out.line(`absync: progress: ${describeProgress(p, this.applyStartedMs)}`);
    }
  }

  private draw(text: string): void {
    const tty = this.tty as WriteStream;
    if (!this.out.open) return;
    const width = Math.max(20, (tty.columns || 80) - 1);
    const line = text.length > width ? text.slice(0, width) : text;
    tty.cursorTo(0);
    tty.write(line);
    tty.clearLine(1);
    this.shown = line;
  }

  /** Takes the line off the terminal, so that another line can be printed there; the next event draws it again. */
  clear(): void {
    if (!this.tty || this.shown === '' || !this.out.open) return;
    this.tty.cursorTo(0);
    this.tty.clearLine(0);
    this.shown = '';
  }

  /** Puts the line back after `clear()`. */
  redraw(): void {
    if (this.tty && this.shown === '' && this.latest && this.latest.actions > 0) this.draw(describeProgress(this.latest, this.applyStartedMs));
  }

  /** The end of the run: the line is cleared (a terminal), or a last plain line says where it ended. */
  stop(): void {
    if (this.tty) this.clear();
    else if (this.latest && this.plain) {
      this.out.line(`absync: progress: ${describeProgress(this.latest, this.applyStartedMs)}`);
    }
    this.latest = undefined;
  }
}
