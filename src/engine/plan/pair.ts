/**
 * The pairing pass: every source entry against the destination entry at its path. Decides new folders, copies,
 * updates, links, attribute changes, and deletes that clear the way for an entry of another kind. Pure.
 */
import type {
  CopyAction, DeleteAction, Entry, Failure, FileEntry, MkdirAction, RelPath, SetAttrsAction, Skip, SymlinkAction, UpdateAction,
} from '../types.js';
import { compareFiles } from './compare.js';
import { kept, type PlanContext, type Touched } from './context.js';
import { fingerprintOf } from './fingerprint.js';

export type Content = CopyAction | UpdateAction;

export interface Paired {
  readonly mkdirs: MkdirAction[];
  readonly contents: Content[];
  readonly links: SymlinkAction[];
  /** File and link attribute changes. */
  readonly attrs: SetAttrsAction[];
  /** Destination entries of another kind than the source's at the same path. */
  readonly typeRemovals: DeleteAction[];
  /** Paths whose destination entry is removed to make way (they count as absent afterwards). */
  readonly replaced: ReadonlySet<RelPath>;
  readonly skipped: Skip[];
  readonly failures: Failure[];
}

/** The mode a new entry gets: the source's, or with `perms: false` the source's minus the umask. */
export function newMode(ctx: PlanContext, mode: number): number | undefined {
  return ctx.rules.perms === false ? mode & ~(ctx.rules.umask ?? 0o022) & 0o7777 : undefined;
}

function fileAttrs(ctx: PlanContext, path: RelPath, s: FileEntry, d: FileEntry): SetAttrsAction | undefined {
  const modeDiffers = ctx.rules.perms !== false && d.mode !== s.mode;
  const timeDiffers = !ctx.sameTime(d.mtimeMs, s.mtimeMs);
  if (!modeDiffers && !timeDiffers) return undefined;
  return {
    op: 'setAttrs', path, kind: 'file', reason: modeDiffers ? 'mode' : 'mtime',
    ...(ctx.rules.perms !== false ? { mode: s.mode } : {}), mtimeMs: s.mtimeMs,
  };
}

export function pairEntries(ctx: PlanContext, touched: Touched): Paired {
  const { rules, keep } = ctx;
  const out = {
    mkdirs: [] as MkdirAction[], contents: [] as Content[], links: [] as SymlinkAction[], attrs: [] as SetAttrsAction[],
    typeRemovals: [] as DeleteAction[], replaced: new Set<RelPath>(), skipped: [] as Skip[], failures: [] as Failure[],
  };
  for (const [path, s] of ctx.src) {
    if (s.kind === 'problem') {
      out.failures.push({ path, op: 'scan', code: s.code, message: `cannot read source: ${s.message}` });
      continue;
    }
    if (s.kind === 'special') {
      out.skipped.push({ path, message: `special file (${s.type}) skipped` });
      continue;
    }
    let d: Entry | undefined = ctx.dst.get(path);
    if (d?.kind === 'problem') {
      out.failures.push({ path, op: 'scan', code: d.code, message: `cannot read destination: ${d.message}` });
      continue;
    }
    // --ignore-existing: whatever the destination has where the source has a non-folder stays as it is.
    if (d && rules.ignoreExisting && s.kind !== 'dir') continue;
    if (d && d.kind !== s.kind) {
      if (kept(ctx, path, d)) {
        out.skipped.push({ path, message: `destination ${d.kind} is protected or holds excluded entries; not replaced by a ${s.kind}` });
        continue;
      }
      out.typeRemovals.push({ op: 'delete', path, reason: 'type', expect: fingerprintOf(d) });
      out.replaced.add(path);
      touched.add(path);
      d = undefined;
    }
    if (s.kind === 'dir') {
      if (!d) {
        out.mkdirs.push({ op: 'mkdir', path, reason: 'missing', mode: s.mode });
        touched.add(path);
      }
    } else if (s.kind === 'file') {
      const mode = newMode(ctx, s.mode);
      if (!d) {
        out.contents.push({ op: 'copy', path, reason: 'missing', source: s, ...(mode !== undefined ? { mode } : {}) });
        touched.add(path);
        continue;
      }
      const df = d as FileEntry;
      // -u: a destination file newer than the source is left alone.
      if (rules.update && Math.round(df.mtimeMs * 1000) > Math.round(s.mtimeMs * 1000) && !ctx.sameTime(df.mtimeMs, s.mtimeMs)) continue;
      // Digests are looked up only in checksum mode: this loop runs once per file of the tree.
      const verdict = rules.checksum
        ? compareFiles(s, df, rules, ctx.sameTime, { source: ctx.digests.get(path)?.source, destination: ctx.destDigest(path) })
        : compareFiles(s, df, rules, ctx.sameTime);
      if (verdict !== 'same') {
        if (keep.isProtected(path, false)) {
          out.skipped.push({ path, message: 'protected; not overwritten' });
          continue;
        }
        out.contents.push({
          op: 'update', path, reason: verdict, source: s, expect: fingerprintOf(df),
          ...(rules.perms === false ? { mode: df.mode } : {}),
        });
        touched.add(path);
      } else {
        const attrs = fileAttrs(ctx, path, s, df);
        if (attrs) out.attrs.push(attrs);
      }
    } else {
      const dl = d as Extract<Entry, { kind: 'symlink' }> | undefined;
      if (!dl || dl.target !== s.target) {
        if (dl && keep.isProtected(path, false)) {
          out.skipped.push({ path, message: 'protected; not overwritten' });
          continue;
        }
        out.links.push({
          op: 'symlink', path, reason: dl ? 'target' : 'missing', target: s.target, mtimeMs: s.mtimeMs,
          ...(dl ? { expect: fingerprintOf(dl) } : {}),
        });
        touched.add(path);
      } else if (!ctx.sameTime(dl.mtimeMs, s.mtimeMs)) {
        out.attrs.push({ op: 'setAttrs', path, kind: 'symlink', reason: 'mtime', mtimeMs: s.mtimeMs });
      }
    }
  }
  return out;
}
