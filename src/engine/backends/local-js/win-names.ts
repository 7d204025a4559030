/**
 * Names Windows cannot hold. Writing one through the Win32 API does not fail: `aux.txt` and `CON` open devices, a
 * trailing dot or space is silently dropped (`a.` becomes `a`), and `a:b` writes an alternate data stream of `a`. So a
 * Windows destination refuses such a name for that entry, with the reason, and never writes it under another name.
 * https://learn.microsoft.com/windows/win32/fileio/naming-a-file
 */

/** Device names, reserved with any extension and with spaces before it (`con .txt`); superscript digits count. */
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]) *(\.|$)/i;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>:"|?*\u0000-\u001f\\]/;

/** Why Windows cannot hold `name` as a file or folder name, or undefined when it can. */
export function windowsNameProblem(name: string): string | undefined {
  const bad = FORBIDDEN.exec(name);
  if (bad) {
    const ch = bad[0];
    const shown = ch < ' ' ? `control character U+${ch.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}` : `"${ch}"`;
    return `${JSON.stringify(name)} holds ${shown}, which Windows forbids in names; not mirrored`;
  }
  if (/[. ]$/.test(name)) return `${JSON.stringify(name)} ends in a ${name.endsWith('.') ? 'dot' : 'space'}, which Windows drops from names; not mirrored`;
  const reserved = RESERVED.exec(name);
  if (reserved) return `${JSON.stringify(name)} is the Windows device name ${(reserved[1] as string).toUpperCase()}; not mirrored`;
  return undefined;
}

/** The first name of `path` (a RelPath) Windows cannot hold, with why; undefined when all can be. */
export function windowsPathProblem(path: string): string | undefined {
  if (path === '') return undefined;
  for (const name of path.split('/')) {
    const why = windowsNameProblem(name);
    if (why) return why;
  }
  return undefined;
}
