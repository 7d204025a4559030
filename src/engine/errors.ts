/** Error codes and the named predicates the engine uses instead of errno strings spread around. */

/** Why a run was refused before anything changed. */
export type RefusalCode =
  | 'E_OPTIONS'
  | 'E_SOURCE_MISSING'
  | 'E_SOURCE_NOT_DIR'
  | 'E_SOURCE_UNREADABLE'
  | 'E_SAME_PATH'
  | 'E_NESTED'
  | 'E_DEST_NOT_DIR'
  | 'E_DEST_UNWRITABLE'
  | 'E_LOCKED'
  | 'E_MAX_DELETE'
  | 'E_EMPTY_SOURCE'
  | 'E_UNSAFE_PATH'
  /** A remote destination's host key is unknown (without acceptNewHostKey), changed, or revoked. */
  | 'E_HOST_KEY'
  /** A remote destination's server could not be reached or the SSH handshake failed. */
  | 'E_CONNECT'
  /** A remote destination's server refused every key offered, or no key could be used. */
  | 'E_AUTH';

/** A refusal: the run stopped before changing anything. `message` is one line naming the path and the cause. */
export class AbsyncError extends Error {
  readonly code: RefusalCode;
  readonly path: string | undefined;
  /**
   * The API option that decides this refusal (e.g. `maxDelete`). `message` names it as the API does, `maxDelete: 50`
   * or `allowEmptySource: true`; a face with other names for its options (the CLI's flags) renders them from this.
   */
  readonly option: string | undefined;
  constructor(code: RefusalCode, message: string, path?: string, option?: string) {
    super(message);
    this.name = 'AbsyncError';
    this.code = code;
    this.path = path;
    this.option = option;
  }
}

export function isAbsyncError(err: unknown): err is AbsyncError {
  return err instanceof AbsyncError;
}

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** The path (or a parent) no longer exists, or a parent is no longer a folder: the entry vanished. */
export function isGone(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function isExists(err: unknown): boolean {
  return codeOf(err) === 'EEXIST';
}

export function isNotEmpty(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

const CAUSES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a parent is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a folder',
  ENOTEMPTY: 'folder not empty',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symlinks',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EBUSY: 'resource busy',
  EXDEV: 'cross-device link',
};

/** `{code, message}` for an fs error: a short human cause followed by the errno code. */
export function describeError(err: unknown): { code: string; message: string } {
  const code = codeOf(err) ?? 'EUNKNOWN';
  const cause = CAUSES[code];
  if (cause) return { code, message: `${cause} (${code})` };
  const text = err instanceof Error ? err.message : String(err);
  return { code, message: text.split('\n')[0] ?? text };
}
