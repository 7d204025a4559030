/**
 * Which neighbouring actions of a plan apply may run at the same time. Folder steps are ordered by depth (created
 * shallowest first, removed and given their attributes deepest first), so folders of one depth form a batch; a folder
 * rename runs alone.
 */
import { depthOf } from '../paths.js';
import type { Action } from '../types.js';

export type Batch = 'serial' | 'stage' | 'remove-files' | 'unstage' | 'write' | 'attrs' | `${'rmdir' | 'mkdir' | 'dir-attrs'}:${number}`;

export function batchOf(action: Action): Batch {
  switch (action.op) {
    case 'rename':
      return 'serial';
    case 'stage':
      return 'stage';
    case 'unstage':
      return 'unstage';
    case 'delete':
      return action.expect.kind === 'dir' ? `rmdir:${depthOf(action.path)}` : 'remove-files';
    case 'mkdir':
      return `mkdir:${depthOf(action.path)}`;
    case 'copy':
    case 'update':
    case 'symlink':
      return 'write';
    case 'setAttrs':
      return action.kind === 'dir' ? `dir-attrs:${depthOf(action.path)}` : 'attrs';
  }
}
