/** The remote destination backend: what the rest of the engine (backends/choose.ts, roots, options) needs from it. */
export { openSftpTree, type SftpTreeOptions } from './open-tree.js';
export { SftpTree } from './sftp-tree.js';
export { parseRemote, formatRemote, type RemoteSpec } from '../../remote-spec.js';
export type { RemoteOptions, SshOptions, SftpTuning } from './ssh-options.js';
