/*
 * Symlinks of the apply phase, a batch of one folder's links per trip to a libuv pool thread: each made at an
 * unpredictable temporary name (symlinkat), given its own mtime (utimensat AT_SYMLINK_NOFOLLOW), then put in place
 * like a file (absync_place): over nothing, or over exactly the link the scan saw, so readers never see no link
 * and nothing of anyone else's is replaced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

typedef struct {
  int rootfd, backupfd;
  char *parent;
  char **names, **targets, **tmps, **where;
  double *mtimes;
  Expect *replace;
  ItemResult *res;
  uint32_t n;
  napi_async_work work;
  napi_deferred deferred;
} LinkJob;

static int link_one(const LinkJob *job, int dfd, uint32_t i) {
  ItemResult *r = &job->res[i];
  if (symlinkat(job->targets[i], dfd, job->tmps[i]) != 0) return absync_fail(r, "symlink");
  struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_NOW}, absync_ms_to_timespec(job->mtimes[i])};
  if (utimensat(dfd, job->tmps[i], times, AT_SYMLINK_NOFOLLOW) != 0) {
    int e = errno;
    unlinkat(dfd, job->tmps[i], 0);
    errno = e;
    return absync_fail(r, "utime");
  }
  return absync_place(dfd, job->tmps[i], dfd, job->names[i], &job->replace[i], job->backupfd, job->parent, r, 1);
}

static void execute(napi_env env, void *data) {
  (void)env;
  LinkJob *job = (LinkJob *)data;
  int dfd = absync_batch_parent(job->rootfd, job->parent, job->res, job->n);
  if (dfd < 0) return;
  for (uint32_t i = 0; i < job->n; i++) job->res[i].result = link_one(job, dfd, i);
  close(dfd);
}

static void free_job(LinkJob *job) {
  for (uint32_t i = 0; i < job->n; i++) {
    if (job->names) free(job->names[i]);
    if (job->targets) free(job->targets[i]);
    if (job->tmps) free(job->tmps[i]);
    if (job->where) free(job->where[i]);
  }
  free(job->names);
  free(job->targets);
  free(job->tmps);
  free(job->where);
  free(job->mtimes);
  free(job->replace);
  free(job->res);
  free(job->parent);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  LinkJob *job = (LinkJob *)data;
  absync_settle(env, job->deferred, status, job->res, job->where, job->n, "symlink step cancelled");
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/*
 * links(rootfd, parent, names: string[], targets: string[], tmpNames: string[], numbers: number[] (5 per link: mtime ms,
 * then the replaced link's kind, size, mtime us, inode (kind NaN: none)), backupfd): Promise<{ results, errors }>.
 */
napi_value absync_links(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t rootfd = -1, backupfd = -1;
  int64_t n64 = argc == 7 ? absync_arg_length(env, argv[2]) : -1;
  if (n64 < 0 || napi_get_value_int32(env, argv[0], &rootfd) != napi_ok || napi_get_value_int32(env, argv[6], &backupfd) != napi_ok) {
    napi_throw_type_error(env, NULL, "links(rootfd, parent, names[], targets[], tmpNames[], numbers[], backupfd)");
    return NULL;
  }
  uint32_t n = (uint32_t)n64;
  LinkJob *job = calloc(1, sizeof(LinkJob));
  if (!job) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->n = n;
  job->rootfd = rootfd;
  job->backupfd = backupfd;
  size_t m = n ? n : 1;
  job->names = calloc(m, sizeof(char *));
  job->targets = calloc(m, sizeof(char *));
  job->tmps = calloc(m, sizeof(char *));
  job->where = calloc(m, sizeof(char *));
  job->mtimes = calloc(m, sizeof(double));
  job->replace = calloc(m, sizeof(Expect));
  job->res = calloc(m, sizeof(ItemResult));
  double *nums = malloc(m * 5 * sizeof(double));
  int ok = job->names && job->targets && job->tmps && job->where && job->mtimes && job->replace && job->res && nums &&
           (job->parent = absync_arg_string(env, argv[1])) && absync_arg_strings(env, argv[2], n, job->names) &&
           absync_arg_strings(env, argv[3], n, job->targets) && absync_arg_strings(env, argv[4], n, job->tmps) &&
           absync_arg_numbers(env, argv[5], 5 * n, nums);
  for (uint32_t i = 0; ok && i < n; i++) {
    job->mtimes[i] = nums[5 * i];
    job->replace[i] = absync_expect_at(nums, 5 * i + 1);
    size_t len = strlen(job->parent) + strlen(job->names[i]) + 2;
    if ((job->where[i] = malloc(len))) snprintf(job->where[i], len, "%s%s%s", job->parent, job->parent[0] ? "/" : "", job->names[i]);
  }
  free(nums);
  if (!ok) {
    free_job(job);
    napi_throw_type_error(env, NULL, "links: bad arguments");
    return NULL;
  }
  return absync_queue(env, "absync.links", execute, complete, job, &job->work, &job->deferred);
}
