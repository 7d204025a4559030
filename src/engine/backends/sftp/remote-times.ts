/**
 * Sub-second mtimes through exec, where the probe found them to work: files and folders through the connection's
 * perl stamper (stamper.ts), links through `touch -h -d @s.us` on the connection's shell (links are few, and perl
 * cannot set a link's own times). SFTP v3 carries whole seconds only.
 */
import type { RemoteExec } from './probe.js';
import { shQuote } from './shell.js';

/** `@seconds.micros` for touch, exactly the microsecond of `ms` (touch parses the decimal exactly). */
export function touchTime(ms: number): string {
  const us = Math.round(ms * 1000);
  const sec = Math.floor(us / 1e6);
  return `@${sec}.${String(us - sec * 1e6).padStart(6, '0')}`;
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

/** Sets each path's own mtime to the microsecond; true where it worked. */
export async function setFineTimes(remote: RemoteExec, items: readonly TimeItem[]): Promise<boolean[]> {
  const files = items.filter((it) => !it.link);
  const links = items.filter((it) => it.link);
  const [fileOk, linkOk] = await Promise.all([
    remote.stamper ? remote.stamper.stamp(files) : Promise.resolve(files.map(() => false)),
    touchLinks(remote, links),
  ]);
  let f = 0;
  let l = 0;
  return items.map((it) => (it.link ? (linkOk[l++] as boolean) : (fileOk[f++] as boolean)));
}
