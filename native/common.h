/* Shared by the addon's parts (scan.c, copy.c, addon.c). */
#ifndef ABSYNC_COMMON_H
#define ABSYNC_COMMON_H
#define NAPI_VERSION 8
#include <node_api.h>

/* "ENOENT", "EACCES", ...: the code Node puts on its fs errors; "EUNKNOWN" for the rest. */
const char *absync_errno_code(int e);

napi_value absync_scan(napi_env env, napi_callback_info info);
napi_value absync_copy(napi_env env, napi_callback_info info);

#endif
