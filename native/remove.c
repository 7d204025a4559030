/*
 * Deletes of the apply phase, a batch of one folder's entries per trip to a libuv pool thread: each entry only if it
 * is still what the scan saw (kind, inode, and for files size and mtime), a folder only once empty (never
 * recursively), files and links moved to the backup tree instead when there is one. The folder is opened once
 * without following any symlink, and every step is relative to it, so a folder swapped for a link is never entered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

typedef struct {
  int rootfd, backupfd;
  char *parent;
  char **names, **where;
  Expect *expect;
  ItemResult *res;
  uint32_t n;
  napi_async_work work;
  napi_deferred deferred;
} RemoveJob;

static int remove_one(const RemoveJob *job, int dfd, uint32_t i) {
  ItemResult *r = &job->res[i];
  const char *name = job->names[i];
  const Expect *e = &job->expect[i];
  int c = absync_check(dfd, name, e);
  if (c == R_ERROR) return absync_fail(r, "lstat");
  if (c != R_DONE) return c;
  if (e->kind == K_DIR) {
    if (unlinkat(dfd, name, AT_REMOVEDIR) == 0) return R_DONE;
    /* Something appeared inside it since the scan: left for the next run. */
    if (errno == ENOTEMPTY || errno == EEXIST) return R_CHANGED;
    return errno == ENOENT ? R_GONE : absync_fail(r, "rmdir");
  }
  if (job->backupfd >= 0) return absync_retire(dfd, name, job->backupfd, job->parent, name) == 0 ? R_DONE : absync_fail(r, "backup");
  if (unlinkat(dfd, name, 0) == 0) return R_DONE;
  return errno == ENOENT ? R_GONE : absync_fail(r, "unlink");
}

static void execute(napi_env env, void *data) {
  (void)env;
  RemoveJob *job = (RemoveJob *)data;
  int dfd = absync_batch_parent(job->rootfd, job->parent, job->res, job->n);
  if (dfd < 0) return;
  for (uint32_t i = 0; i < job->n; i++) job->res[i].result = remove_one(job, dfd, i);
  close(dfd);
}

static void free_job(RemoveJob *job) {
  for (uint32_t i = 0; i < job->n; i++) {
    if (job->names) free(job->names[i]);
    if (job->where) free(job->where[i]);
  }
  free(job->names);
  free(job->where);
  free(job->expect);
  free(job->res);
  free(job->parent);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  RemoveJob *job = (RemoveJob *)data;
  absync_settle(env, job->deferred, status, job->res, job->where, job->n, "delete cancelled");
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/*
 * remove(rootfd, parent, names: string[], expects: number[] (4 per entry: kind, size, mtime us, inode), backupfd (-1:
 * none)): Promise<{ results: Int32Array, errors }>.
 */
napi_value absync_remove(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t rootfd = -1, backupfd = -1;
  int64_t n64 = argc == 5 ? absync_arg_length(env, argv[2]) : -1;
  if (n64 < 0 || napi_get_value_int32(env, argv[0], &rootfd) != napi_ok || napi_get_value_int32(env, argv[4], &backupfd) != napi_ok) {
    napi_throw_type_error(env, NULL, "remove(rootfd, parent, names[], expects[], backupfd)");
    return NULL;
  }
  uint32_t n = (uint32_t)n64;
  RemoveJob *job = calloc(1, sizeof(RemoveJob));
  if (!job) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->n = n;
  job->rootfd = rootfd;
  job->backupfd = backupfd;
  job->names = calloc(n ? n : 1, sizeof(char *));
  job->where = calloc(n ? n : 1, sizeof(char *));
  job->expect = calloc(n ? n : 1, sizeof(Expect));
  job->res = calloc(n ? n : 1, sizeof(ItemResult));
  double *nums = malloc((n ? n : 1) * 4 * sizeof(double));
  int ok = job->names && job->where && job->expect && job->res && nums && (job->parent = absync_arg_string(env, argv[1])) &&
           absync_arg_strings(env, argv[2], n, job->names) && absync_arg_numbers(env, argv[3], 4 * n, nums);
  for (uint32_t i = 0; ok && i < n; i++) {
    job->expect[i] = absync_expect_at(nums, 4 * i);
    size_t len = strlen(job->parent) + strlen(job->names[i]) + 2;
    if ((job->where[i] = malloc(len))) snprintf(job->where[i], len, "%s%s%s", job->parent, job->parent[0] ? "/" : "", job->names[i]);
  }
  free(nums);
  if (!ok) {
    free_job(job);
    napi_throw_type_error(env, NULL, "remove: bad arguments");
    return NULL;
  }
  return absync_queue(env, "absync.remove", execute, complete, job, &job->work, &job->deferred);
}
