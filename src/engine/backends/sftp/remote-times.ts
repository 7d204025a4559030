/**
 * Sub-second mtimes through exec, where the probe found them to work: files and folders through the connection's
 * perl stamper (stamper.ts), links through `touch -h -d @s.us` on the connection's shell (links are few, and perl
 * cannot set a link's own times). SFTP v3 carries whole seconds only.
 */
import type { RemoteExec } from './probe.js';
import { shQuote } from './shell.js';

/** `@seconds.micros` for touch, exactly the microsecond of `ms` (touch parses the decimal exactly, sign included). */
export function touchTime(ms: number): string {
  const us = Math.round(ms * 1000);
  const a = Math.abs(us);
  const sec = Math.floor(a / 1e6);
  return `@${us < 0 ? '-' : ''}${sec}.${String(a - sec * 1e6).padStart(6, '0')}`;
}

export interface TimeItem {
  readonly path: string;
  readonly mtimeMs: number;
  /** The path is a link: its own time is set, not its target's. */
  readonly link: boolean;
}

async function touchLinks(remote: RemoteExec, items: readonly TimeItem[]): Promise<boolean[]> {
  if (items.length === 0) return [];
  if (!remote.shell || !remote.caps.linkTimes) return items.map(() => false);
  const script = items.map((it, i) => `touch -c -h -m -d ${touchTime(it.mtimeMs)} -- ${shQuote(it.path)} && echo ${i}`).join('\n');
  const r = await remote.shell.run(`export LC_ALL=C\n${script}`);
  const ok = new Set(r.stdout.toString('latin1').split('\n').filter((l) => l !== '').map(Number));
  return items.map((_, i) => ok.has(i));
}

/**
 * Sets each path's own mtime to the microsecond; true where it worked. Times before 1970 go through touch too: perl's
 * Time::HiRes dies on a negative time ("negative time not invented yet"), which would end the stamper for the run.
 */
export async function setFineTimes(remote: RemoteExec, items: readonly TimeItem[]): Promise<boolean[]> {
  const byTouch = (it: TimeItem): boolean => it.link || it.mtimeMs < 0;
  const files = items.filter((it) => !byTouch(it));
  const links = items.filter(byTouch);
  const [fileOk, linkOk] = await Promise.all([
    remote.stamper ? remote.stamper.stamp(files, remote.shell) : Promise.resolve(files.map(() => false)),
    touchLinks(remote, links),
  ]);
  let f = 0;
  let l = 0;
  return items.map((it) => (byTouch(it) ? (linkOk[l++] as boolean) : (fileOk[f++] as boolean)));
}
