/* The addon's entry point: scan (scan.c), scanPair (pair.c), copy (copy.c), dirs (dirs.c) and hash (hash.c). Loaded by src/engine/native.ts. */
#include "common.h"

/* Bumped whenever a function's arguments or results change: src/engine/native.ts ignores an addon built from other
 * sources (a checkout updated without `npm install`) instead of calling it wrongly. */
#define ABSYNC_NATIVE_VERSION 3

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, version;
  napi_create_int32(env, ABSYNC_NATIVE_VERSION, &version);
  napi_set_named_property(env, exports, "version", version);
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, absync_scan, NULL, &fn);
  napi_set_named_property(env, exports, "scan", fn);
  napi_create_function(env, "scanPair", NAPI_AUTO_LENGTH, absync_scan_pair, NULL, &fn);
  napi_set_named_property(env, exports, "scanPair", fn);
  napi_create_function(env, "copy", NAPI_AUTO_LENGTH, absync_copy, NULL, &fn);
  napi_set_named_property(env, exports, "copy", fn);
  napi_create_function(env, "dirs", NAPI_AUTO_LENGTH, absync_dirs, NULL, &fn);
  napi_set_named_property(env, exports, "dirs", fn);
  napi_create_function(env, "hash", NAPI_AUTO_LENGTH, absync_hash, NULL, &fn);
  napi_set_named_property(env, exports, "hash", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
