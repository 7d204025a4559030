/* Shared by the addon's parts (scan.c, copy.c, addon.c). */
#ifndef ABSYNC_COMMON_H
#define ABSYNC_COMMON_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <time.h>

/* "ENOENT", "EACCES", ...: the code Node puts on its fs errors; "EUNKNOWN" for the rest. */
const char *absync_errno_code(int e);

/*
 * The folder `rel` (relative, '' for the root itself) below the open folder `rootfd`, opened without following a
 * symlink anywhere on the way: ELOOP, ENOTDIR or EXDEV when something on the way is not a real folder.
 */
int absync_open_beneath(int rootfd, const char *rel);

/* A JS string argument as a malloc()ed UTF-8 string, or NULL. */
char *absync_arg_string(napi_env env, napi_value v);

/* Milliseconds since the epoch, whole microseconds (times.ts), as a timespec. */
struct timespec absync_ms_to_timespec(double ms);

/* Whole microseconds since the epoch as a timespec (floored for times before 1970). */
struct timespec absync_us_to_timespec(int64_t us);

/* Queues `execute` on the libuv pool and `complete` after it, with a new promise; returns the promise. */
napi_value absync_queue(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete,
                        void *data, napi_async_work *work, napi_deferred *deferred);

/* How absync_settle_batch reads a batch job's per-item results. */
typedef struct {
  int (*result)(void *job, uint32_t i);
  /* "code\nmessage" for an item whose result is `error_result`. */
  void (*error_text)(void *job, uint32_t i, char *buf, size_t size);
  int error_result;
  const char *cancelled;
} AbsyncBatchView;

/* Rejects a job's promise with an Error carrying `message` (a cancelled job). */
void absync_reject(napi_env env, napi_deferred deferred, const char *message);

/* Resolves with { results: Int32Array, errors: (string | undefined)[] }, or rejects when the work was cancelled. */
void absync_settle_batch(napi_env env, napi_deferred deferred, napi_status status, void *job, uint32_t n, const AbsyncBatchView *view);

napi_value absync_scan(napi_env env, napi_callback_info info);
napi_value absync_scan_pair(napi_env env, napi_callback_info info);
napi_value absync_copy(napi_env env, napi_callback_info info);
napi_value absync_dirs(napi_env env, napi_callback_info info);
napi_value absync_hash(napi_env env, napi_callback_info info);

#endif
