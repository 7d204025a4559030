/* Shared by the addon's parts (scan.c, copy.c, addon.c). */
#ifndef ABSYNC_COMMON_H
#define ABSYNC_COMMON_H
#define NAPI_VERSION 8
#include <node_api.h>
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

napi_value absync_scan(napi_env env, napi_callback_info info);
napi_value absync_scan_pair(napi_env env, napi_callback_info info);
napi_value absync_copy(napi_env env, napi_callback_info info);
napi_value absync_dirs(napi_env env, napi_callback_info info);

#endif
