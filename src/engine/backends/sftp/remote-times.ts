/**
 * Sub-second mtimes through exec, where the probe found touch and find agreeing on them: one `touch -h -m -d @s.us`
 * per path, a batch per exec channel, each reporting its own success. SFTP v3 carries whole seconds only.
 */
import type { SftpSession } from './session.js';
import { shQuote } from './shell.js';

/** `@seconds.micros` for touch, exactly the microsecond of `ms`. */
export function touchTime(ms: number): string {
  const us = Math.round(ms * 1000);
  const sec = Math.floor(us / 1e6);
  return `@${sec}.${String(us - sec * 1e6).padStart(6, '0')}`;
}

/** Sets each path's own mtime (links not followed); true where it worked. */
export async function touchAll(session: SftpSession, items: readonly { readonly path: string; readonly mtimeMs: number }[]): Promise<boolean[]> {
  if (items.length === 0) return [];
  const script = items.map((it, i) => `touch -c -h -m -d ${touchTime(it.mtimeMs)} -- ${shQuote(it.path)} 2>/dev/null && echo ${i}`).join('\n');
  const r = await session.exec('sh', `export LC_ALL=C\n${script}\n`);
  const ok = new Set(r.stdout.toString('latin1').split('\n').filter((l) => l !== '').map(Number));
  return items.map((_, i) => ok.has(i));
}
