/** Which engine this install runs, in words (for --version and ABSYNC_TRACE). */
import { nativeAddonMissing } from './native.js';

/** 'native (...)' when the addon loads, else 'JavaScript (native addon: <why not>)'. Loads the addon. */
export function engineInUse(): string {
  const missing = nativeAddonMissing();
  return missing === '' ? 'native (build/Release/absync_native.node)' : `JavaScript (native addon: ${missing})`;
}
