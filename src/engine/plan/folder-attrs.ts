/**
 * The folder-attribute pass: every source folder whose destination twin is new, has other attributes, or has content
 * that changes gets its mode and mtime set at the end (writing inside a folder changes its mtime). Pure.
 */
import type { DirEntry, Entry, RelPath, SetAttrsAction } from '../types.js';
import type { PlanContext, Touched } from './context.js';
import { newMode } from './pair.js';

export interface Roots {
  readonly source: DirEntry | undefined;
  readonly destination: DirEntry | undefined;
}

export function folderAttrs(ctx: PlanContext, touched: Touched, replaced: ReadonlySet<RelPath>, roots: Roots): SetAttrsAction[] {
  const perms = ctx.rules.perms !== false;
  const out: SetAttrsAction[] = [];
  const needs = (path: RelPath, s: DirEntry, d: Entry | undefined): boolean =>
    d?.kind !== 'dir' || touched.has(path) || (perms && d.mode !== s.mode) || !ctx.sameTime(d.mtimeMs, s.mtimeMs);
  for (const [path, s] of ctx.src) {
    if (s.kind !== 'dir') continue;
    const d = replaced.has(path) ? undefined : ctx.dst.get(path);
    if (d?.kind === 'problem' || !needs(path, s, d)) continue;
    const mode = perms ? s.mode : d ? undefined : newMode(ctx, s.mode);
    // The reason an itemized line shows: a folder whose mode differs says so, as a file's attribute change does.
    const reason = !d ? 'missing' : perms && d.kind === 'dir' && d.mode !== s.mode ? 'mode' : 'mtime';
    out.push({ op: 'setAttrs', path, kind: 'dir', reason, ...(mode !== undefined ? { mode } : {}), mtimeMs: s.mtimeMs });
  }
  // The root's mtime is set after the run (the lock file in it changes it); only its mode is planned here.
  const { source: srcRoot, destination: dstRoot } = roots;
  if (srcRoot && (touched.has('') || (perms && dstRoot?.mode !== srcRoot.mode))) {
    const reason = perms && dstRoot !== undefined && dstRoot.mode !== srcRoot.mode ? 'mode' : 'mtime';
    out.push({ op: 'setAttrs', path: '', kind: 'dir', reason, ...(perms ? { mode: srcRoot.mode } : {}), mtimeMs: srcRoot.mtimeMs });
  }
  return out;
}
