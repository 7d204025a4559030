/** One line per action, itemized like rsync's --itemize-changes, for dry runs and verbose logs. */
import type { Action } from './types.js';

const show = (path: string): string => (path === '' ? '.' : path);

export function describeAction(a: Action): string {
  switch (a.op) {
    case 'copy':
      return `create  ${show(a.path)} (${a.source.size} bytes)`;
    case 'update':
      return `update  ${show(a.path)} (${a.reason}, ${a.source.size} bytes)`;
    case 'delete':
      return `delete  ${show(a.path)}${a.expect.kind === 'dir' ? '/' : ''}${a.reason === 'type' ? ' (type changed)' : ''}`;
    case 'mkdir':
      return `mkdir   ${show(a.path)}/`;
    case 'symlink':
      return `${a.expect ? 'relink ' : 'symlink'} ${show(a.path)} -> ${a.target}`;
    case 'move':
      if (a.step === 'stage') return `stage   ${show(a.from)} (moved below)`;
      return `move    ${show(a.origin ?? a.from)} => ${show(a.path)}`;
    case 'setAttrs':
      return `attrs   ${show(a.path)}${a.kind === 'dir' ? '/' : ''} (${a.reason})`;
  }
}
