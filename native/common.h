/* Shared by the addon's parts: safe folder-relative opens, expectation checks, renames, and Node-API helpers. */
#ifndef ABSYNC_COMMON_H
#define ABSYNC_COMMON_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include "results.h"

/* One item's result in a batch: an R_ code and, for R_ERROR, the errno and the system call. */
typedef struct {
  int result;
  int err;
  const char *syscall;
} ItemResult;

/* "ENOENT", "EACCES", ...: the code Node puts on its fs errors; "EUNKNOWN" for the rest. */
const char *absync_errno_code(int e);

/*
 * The folder `rel` (relative, '' for the root itself) below the open folder `rootfd`, opened without following a
 * symlink anywhere on the way (openat2 RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH, or one O_NOFOLLOW component at a time on
 * older kernels): ELOOP, ENOTDIR or EXDEV when something on the way is not a real folder.
 */
int absync_open_beneath(int rootfd, const char *rel);

/* A regular file `rel` below `rootfd`, opened read-only, never through a link, never blocking (O_NONBLOCK). */
int absync_open_file_beneath(int rootfd, const char *rel);

/* Like absync_open_beneath, creating missing folders on the way (mode 0700: their attributes come later, if ever). */
int absync_mkdirs_beneath(int rootfd, const char *rel);

/* True when errno after absync_open_beneath means "a folder on the way is not a real folder". */
int absync_unsafe_errno(int e);

/* What a step expects at a name before it replaces or removes it; kind -1 means "nothing is expected". */
typedef struct {
  int kind;        /* K_FILE, K_DIR, K_SYMLINK, K_SPECIAL, or -1 */
  double size;     /* -1: any */
  double mtime_us; /* whole microseconds; NaN: any */
  double ino;      /* -1: any */
} Expect;

int absync_kind_of(mode_t mode);

/* The same file in the same state: inode, size, mtime and ctime (a rewrite in place that puts the mtime back still
 * moves the ctime). */
int absync_same_state(const struct stat *a, const struct stat *b);

/* Whether `st` is what `e` describes. */
int absync_matches(const struct stat *st, const Expect *e);

/* R_DONE when `name` in `dfd` is what `e` describes, R_GONE when nothing is there, R_CHANGED otherwise, R_ERROR (errno). */
int absync_check(int dfd, const char *name, const Expect *e);

/* rename without replacing (RENAME_NOREPLACE, or link+unlink for files where the flag is missing): EEXIST if taken. */
int absync_rename_noreplace(int ofd, const char *oname, int nfd, const char *nname);

/* Exchanges two names atomically (RENAME_EXCHANGE); EINVAL where the file system cannot. */
int absync_rename_exchange(int ofd, const char *oname, int nfd, const char *nname);

/*
 * Moves the entry `name` of `dfd` (a file or link) into the backup tree `backupfd` at `parent`/`bname` (folders made on
 * the way, an older backup of the same name replaced), across file systems by copying. 0, or -1 with errno.
 */
int absync_retire(int dfd, const char *name, int backupfd, const char *parent, const char *bname);

/* Copies `size` bytes of `in` to `out` (FICLONE, copy_file_range, then read/write); stops early at the end of `in`. */
int absync_copy_fd(int in, int out, off_t size);

/* Opens the folder `parent` of a batch below `rootfd`; when it cannot, marks all `n` items R_UNSAFE or R_ERROR and
 * returns -1. */
int absync_batch_parent(int rootfd, const char *parent, ItemResult *items, uint32_t n);

/* Reads a fingerprint of 4 numbers (kind, size, mtime in microseconds, inode) from `nums` at `at`. */
Expect absync_expect_at(const double *nums, uint32_t at);

/*
 * Renames `oname` of `ofd` to `nname` of `nfd` (copy.c): over nothing (RENAME_NOREPLACE), or over exactly the entry
 * `replace` describes (RENAME_EXCHANGE, check what came out, swap back if it is not that), which then goes to the backup
 * tree (at `bparent`) or away. `ours`: `oname` is a temporary this run made, removed when it cannot be placed.
 * R_DONE, R_GONE (a rename's source went away), R_CHANGED (nothing replaced) or R_ERROR.
 */
int absync_place(int ofd, const char *oname, int nfd, const char *nname, const Expect *replace, int backupfd, const char *bparent,
                 ItemResult *r, int ours);

/* Milliseconds / microseconds since the epoch as a timespec (floored for times before 1970). */
struct timespec absync_ms_to_timespec(double ms);
struct timespec absync_us_to_timespec(int64_t us);

/* Whole microseconds of a stat time (truncated), as the scan reports them. */
int64_t absync_micros(const struct timespec *t);

/* True for a name only the engine makes: ".absync-tmp." followed by 20 characters of [a-z2-7] (reserved.ts). */
int absync_is_temp_name(const char *name, size_t n);

/* ---- Node-API helpers ---- */

/* A JS string argument as a malloc()ed UTF-8 string, or NULL. */
char *absync_arg_string(napi_env env, napi_value v);
/* `n` strings of a JS array into out[] (each malloc()ed); 0 on a bad argument. */
int absync_arg_strings(napi_env env, napi_value arr, uint32_t n, char **out);
/* `n` numbers of a JS array (or typed array) into out[]; 0 on a bad argument. */
int absync_arg_numbers(napi_env env, napi_value arr, uint32_t n, double *out);
/* The length of a JS array, or -1. */
int64_t absync_arg_length(napi_env env, napi_value arr);

/* Queues `execute` on the libuv pool and `complete` after it, with a new promise; returns the promise. */
napi_value absync_queue(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete,
                        void *data, napi_async_work *work, napi_deferred *deferred);

/* Records a failed system call in `r` (errno as it is now); returns R_ERROR. */
int absync_fail(ItemResult *r, const char *syscall);

/* Resolves with { results: Int32Array, errors: (string | undefined)[] } ("code\nmessage" for R_ERROR items, naming
 * `where[i]`), or rejects when the work was cancelled. */
void absync_settle(napi_env env, napi_deferred deferred, napi_status status, const ItemResult *items, char *const *where, uint32_t n,
                   const char *cancelled);

/* Rejects a job's promise with an Error carrying `message` (a cancelled job). */
void absync_reject(napi_env env, napi_deferred deferred, const char *message);

napi_value absync_scan(napi_env env, napi_callback_info info);
napi_value absync_scan_pair(napi_env env, napi_callback_info info);
napi_value absync_copy(napi_env env, napi_callback_info info);
napi_value absync_dirs(napi_env env, napi_callback_info info);
napi_value absync_open_dir(napi_env env, napi_callback_info info);
napi_value absync_open_file(napi_env env, napi_callback_info info);
napi_value absync_set_times(napi_env env, napi_callback_info info);
napi_value absync_remove(napi_env env, napi_callback_info info);
napi_value absync_links(napi_env env, napi_callback_info info);
napi_value absync_rename(napi_env env, napi_callback_info info);
napi_value absync_hash(napi_env env, napi_callback_info info);
napi_value absync_read_files(napi_env env, napi_callback_info info);

#endif
