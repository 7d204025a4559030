/**
 * rsync flags that absync does not take, each with what absync does instead: a user who types `absync -avz src dst`
 * from habit learns why, in one line, rather than reading "unknown option".
 */

const REFUSED: readonly (readonly [spellings: readonly string[], why: string])[] = [
  [['-z', '--compress'], 'absync does not compress: local copies need none, and files go to a remote destination over SSH as they are; leave it out'],
  [['-e', '--rsh'], 'absync speaks SSH itself: give user@host:/path as the destination, with --identity, --known-hosts or --ssh-port (~/.ssh/config Host aliases are read)'],
  [['-H', '--hard-links'], 'hard links are copied as separate files, like rsync without -H'],
  [['-o', '--owner', '-g', '--group'], 'owners and groups are not copied (permission bits, mtimes and links are)'],
  [['-A', '--acls', '-X', '--xattrs'], 'ACLs and extended attributes are not copied'],
  [['-D', '--devices', '--specials'], 'special files (FIFOs, sockets, devices) are skipped with a warning'],
  [['-L', '--copy-links', '-k', '--copy-dirlinks'], 'symlinks are always mirrored as symlinks (rsync -l)'],
  [['--inplace', '--partial', '--append', '--append-verify'], 'every file is written to a temporary name and renamed into place, never in place'],
  [['-S', '--sparse'], 'files are copied with copy_file_range where the system has it, not as sparse files'],
  [['-x', '--one-file-system'], 'not supported: absync descends into every folder of the source'],
  [['-R', '--relative'], 'not supported: the source folder\'s contents go straight into the destination'],
  [['-b', '--backup'], 'use --backup-dir <dir>'],
  [['--delete-before', '--delete-during', '--delete-delay', '--delete-after', '--del'], 'absync plans the whole run first, then deletes before it copies: --delete (the default) is all there is'],
  [['--bwlimit'], 'not supported'],
  [['--files-from'], 'not supported: use --include-from and --exclude-from'],
  [['-C', '--cvs-exclude'], 'not supported: put the patterns in .absyncignore or an --exclude-from file'],
];

const WHY = new Map<string, string>(REFUSED.flatMap(([spellings, why]) => spellings.map((s) => [s, why] as const)));

/** What to tell a user who typed an rsync flag absync does not take; undefined for other flags. */
export function rsyncRefusal(rawName: string): string | undefined {
  return WHY.get(rawName);
}
