/**
 * The one place a run's trees are chosen: both local trees through the native addon when it is there (Linux), else
 * both through Node's fs; a remote destination (`user@host:/path`) is an SftpTree (sftp/, loaded only then), opened
 * once per run. Nothing downstream asks which kind it got.
 */
import { posix, relative, sep } from 'node:path';
import { nativeAddon, nativeAddonFile, nativeAddonMissing } from './local-native/addon.js';
import { NativeTree } from './local-native/native-tree.js';
import { JsTree } from './local-js/js-tree.js';
import type { DestinationTree, SourceTree, TreeKind } from './tree.js';
import type { RemoteSpec } from '../remote-spec.js';
import type { SftpTreeOptions } from './sftp/open-tree.js';

export interface TreeRequest {
  /** Absolute real path of the source root. */
  readonly source: string;
  /** Absolute real path of the destination root (it may not exist yet). */
  readonly destination: string;
  /** Absolute real path of the backup folder, if any. */
  readonly backup?: string;
}

export interface Trees {
  readonly source: SourceTree;
  readonly destination: DestinationTree;
}

export function openTrees(req: TreeRequest): Trees {
  const addon = nativeAddon();
  const backup = req.backup !== undefined ? { backup: req.backup } : {};
  if (addon) return { source: new NativeTree(addon, req.source), destination: new NativeTree(addon, req.destination, backup) };
  return { source: new JsTree(req.source), destination: new JsTree(req.destination, backup) };
}

/** The local tree of a source root alone (a remote run's source, opened before it connects). */
export function openSourceTree(root: string): SourceTree {
  return openTrees({ source: root, destination: root }).source;
}

/** What a run opens: its local source and its destination, local (real paths, as roots.ts checked them) or remote. */
export type RunTreeRequest =
  | (TreeRequest & { readonly remote?: undefined })
  | {
    /** Absolute real path of the local source root. */
    readonly source: string;
    /** The source's tree when the run opened it already (openSourceTree). */
    readonly sourceTree?: SourceTree;
    /** The remote destination as parsed. */
    readonly remote: RemoteSpec;
    /** How to reach it; `backupDir` a folder of that server (relative to the destination, or absolute). */
    readonly options: SftpTreeOptions;
  };

/** The trees of a run, with what the run needs to know of its destination. */
export interface RunTrees extends Trees {
  /** The destination as summaries and messages show it: its real path, or `user@host:/path`. */
  readonly label: string;
  /** The backup folder's path inside the destination (left out of the mirror), if it lies there. */
  readonly backupInside?: string;
}

/** Opens a run's trees (for a remote destination: connects; every refusal is an AbsyncError naming host and cause). */
export async function openRunTrees(req: RunTreeRequest): Promise<RunTrees> {
  if (req.remote === undefined) {
    const trees = openTrees(req);
    const { backup, destination } = req;
    const inside = backup !== undefined && backup !== destination && backup.startsWith(destination.endsWith(sep) ? destination : destination + sep);
    return { ...trees, label: destination, ...(inside ? { backupInside: relative(destination, backup).split(sep).join('/') } : {}) };
  }
  const { openSftpTree } = await import('./sftp/open-tree.js');
  const destination = await openSftpTree(req.remote, req.options);
  const source = req.sourceTree ?? openSourceTree(req.source);
  const backup = destination.backup;
  const root = destination.remoteRoot;
  const inside = backup !== undefined && backup !== root && backup.startsWith(root === '/' ? '/' : `${root}/`);
  return { source, destination, label: destination.root, ...(inside ? { backupInside: posix.relative(root, backup) } : {}) };
}

/**
 * Which engine this install runs locally: `why` says why not the native one ('' when it is used), `addon` which file
 * it loaded (build/Release/... when built here, prebuilds/linux-x64/... when shipped prebuilt). For --version,
 * --json and ABSYNC_TRACE.
 */
export function localEngine(): { readonly kind: TreeKind; readonly why: string; readonly addon: string } {
  const why = nativeAddonMissing();
  return { kind: why === '' ? 'native' : 'js', why, addon: nativeAddonFile() };
}
