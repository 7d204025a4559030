/**
 * The one place a run's trees are chosen: both local trees through the native addon when it is there (Linux), else
 * both through Node's fs. A remote destination (sftp/) plugs in here; nothing downstream asks which kind it got.
 */
import { nativeAddon, nativeAddonFile, nativeAddonMissing } from './local-native/addon.js';
import { NativeTree } from './local-native/native-tree.js';
import { JsTree } from './local-js/js-tree.js';
import type { DestinationTree, SourceTree, TreeKind } from './tree.js';

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

/**
 * Which engine this install runs locally: `why` says why not the native one ('' when it is used), `addon` which file
 * it loaded (build/Release/... when built here, prebuilds/linux-x64/... when shipped prebuilt). For --version,
 * --json and ABSYNC_TRACE.
 */
export function localEngine(): { readonly kind: TreeKind; readonly why: string; readonly addon: string } {
  const why = nativeAddonMissing();
  return { kind: why === '' ? 'native' : 'js', why, addon: nativeAddonFile() };
}
