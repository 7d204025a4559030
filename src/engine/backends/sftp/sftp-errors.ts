/**
 * SFTP status codes as the engine's errno-style codes. OpenSSH's server folds most errnos into SSH_FX_FAILURE with
 * the text "Failure" (a full disk, a quota, an existing name, a folder not empty all look alike), so callers that
 * need to tell those apart look at the path again (mkdir: is it there now? rmdir: is it still there?).
 */

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02). */
export const FX = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, BAD_MESSAGE: 5, NO_CONNECTION: 6, CONNECTION_LOST: 7, OP_UNSUPPORTED: 8 } as const;

/** An SFTP request that failed, with an errno-style `code` and a one-line message naming the remote path. */
export class SftpError extends Error {
  constructor(readonly code: string, message: string, readonly status?: number) {
    super(message);
    this.name = 'SftpError';
  }
}

/** The connection is gone: every step still to run fails with this. */
export class ConnectionLostError extends Error {
  readonly code = 'ECONNLOST';
  constructor(label: string, cause: Error) {
    super(`connection to ${label} lost: ${cause.message.split('\n')[0]}`);
    this.name = 'ConnectionLostError';
  }
}

const CODES: Record<number, [string, string]> = {
  [FX.EOF]: ['EOF', 'end of file'],
  [FX.NO_SUCH_FILE]: ['ENOENT', 'no such file or folder (ENOENT)'],
  [FX.PERMISSION_DENIED]: ['EACCES', 'permission denied (EACCES)'],
  [FX.FAILURE]: ['EFAILURE', 'the server refused (SFTP failure: a full disk, a quota, an existing name...)'],
  [FX.BAD_MESSAGE]: ['EPROTO', 'the server did not understand the request (bad message)'],
  [FX.OP_UNSUPPORTED]: ['ENOTSUP', 'not supported by the server (ENOTSUP)'],
};

/** Turns an error from ssh2's SFTP callbacks into an SftpError about `path`. */
export function sftpError(err: Error, path: string): Error {
  if (err instanceof SftpError || err instanceof ConnectionLostError) return err;
  const status = (err as { code?: unknown }).code;
  if (typeof status === 'number' && CODES[status]) {
    const [code, cause] = CODES[status] as [string, string];
    return new SftpError(code, `${path}: ${cause}`, status);
  }
  return new SftpError(typeof status === 'string' ? status : 'EIO', `${path}: ${err.message.split('\n')[0]}`);
}

export function isNoSuchFile(err: unknown): boolean {
  return err instanceof SftpError && err.code === 'ENOENT';
}

export function isFailure(err: unknown): boolean {
  return err instanceof SftpError && err.code === 'EFAILURE';
}
