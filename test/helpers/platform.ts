/**
 * Why a test cannot run on this platform, for `{ skip }`: Windows (node.exe, under Wine in CI) lacks what some tests
 * build their trees with. Each reason says what is missing; false where the test runs.
 */
const WINDOWS = process.platform === 'win32';

export const IS_WINDOWS = WINDOWS;
export const NEEDS_SYMLINKS = WINDOWS ? 'needs symlinks (Windows makes them only with a privilege or Developer Mode; under Wine they are invisible)' : false;
export const NEEDS_FIFO = WINDOWS ? 'needs mkfifo (Windows has no FIFOs in the file system)' : false;
export const NEEDS_MODES = WINDOWS ? 'needs POSIX modes (Windows keeps only a read-only attribute, which absync does not mirror there)' : false;
export const NEEDS_UNPRIVILEGED_USER = WINDOWS ? 'needs setpriv and uid 65534 (Unix permissions)' : false;
export const NEEDS_MOUNT = WINDOWS ? 'needs mount (a tmpfs or a loop device)' : false;
export const NEEDS_UNIX_TOOLS = WINDOWS ? 'needs Unix command line tools (bash, touch -d, mkfifo)' : false;
export const NEEDS_SIGNALS = WINDOWS ? 'needs POSIX signals (Windows has no SIGTERM, SIGHUP or SIGSTOP to send)' : false;
