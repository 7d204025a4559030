/*
 * The addon's entry point, loaded by src/engine/backends/local-native/addon.ts: scan (scan.c), scanPair (pair.c),
 * copy (copy.c), dirs and openDir (dirs.c), remove (remove.c), links (links.c), rename (rename.c), hash (hash.c), readFiles (read.c), and
 * the result codes by name (results.h), which the JavaScript side decodes by name.
 */
#include "common.h"

/* Bumped whenever a function's arguments or results change: the JavaScript side ignores an addon built from other
 * sources (a checkout updated without `npm install`) instead of calling it wrongly. */
#define ABSYNC_NATIVE_VERSION 7

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

static void export_int(napi_env env, napi_value obj, const char *name, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

static napi_value init(napi_env env, napi_value exports) {
  export_int(env, exports, "version", ABSYNC_NATIVE_VERSION);
  napi_value results;
  napi_create_object(env, &results);
  export_int(env, results, "done", R_DONE);
  export_int(env, results, "vanished", R_GONE);
  export_int(env, results, "changed", R_CHANGED);
  export_int(env, results, "unsafe", R_UNSAFE);
  export_int(env, results, "error", R_ERROR);
  export_int(env, results, "torn", R_TORN);
  napi_set_named_property(env, exports, "results", results);
  export_fn(env, exports, "scan", absync_scan);
  export_fn(env, exports, "scanPair", absync_scan_pair);
  export_fn(env, exports, "copy", absync_copy);
  export_fn(env, exports, "dirs", absync_dirs);
  export_fn(env, exports, "openDir", absync_open_dir);
  export_fn(env, exports, "openFile", absync_open_file);
  export_fn(env, exports, "setTimes", absync_set_times);
  export_fn(env, exports, "remove", absync_remove);
  export_fn(env, exports, "links", absync_links);
  export_fn(env, exports, "rename", absync_rename);
  export_fn(env, exports, "hash", absync_hash);
  export_fn(env, exports, "readFiles", absync_read_files);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
