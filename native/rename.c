/*
 * Renames inside the destination, one batch per trip to a libuv pool thread: whole folders renamed in one step, files
 * staged to and from temporary names for moves. Both parents are opened below the root without following any
 * symlink; the source of a rename must still be what the scan saw, and its target is either free (RENAME_NOREPLACE) or
 * exactly the entry the plan replaces (absync_place), which goes to the backup tree first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

typedef struct {
  int rootfd, backupfd;
  char **froms, **tos;
  Expect *expect, *replace;
  ItemResult *res;
  uint32_t n;
  napi_async_work work;
  napi_deferred deferred;
} RenameJob;

/* Splits `rel` into its folder (opened below the root) and its name; -1 when the folder cannot be opened. */
static int open_parent(int rootfd, const char *rel, const char **name) {
  const char *slash = strrchr(rel, '/');
  *name = slash ? slash + 1 : rel;
  if (!slash) return absync_open_beneath(rootfd, "");
  char parent[PATH_MAX];
  size_t n = (size_t)(slash - rel);
  if (n >= sizeof parent) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(parent, rel, n);
  parent[n] = 0;
  return absync_open_beneath(rootfd, parent);
}

static int parent_failed(ItemResult *r) {
  if (absync_unsafe_errno(errno)) return R_UNSAFE;
  return errno == ENOENT ? R_GONE : absync_fail(r, "open");
}

static int rename_one(const RenameJob *job, uint32_t i) {
  ItemResult *r = &job->res[i];
  const char *oname, *nname;
  int ofd = open_parent(job->rootfd, job->froms[i], &oname);
  if (ofd < 0) return parent_failed(r);
  int nfd = open_parent(job->rootfd, job->tos[i], &nname);
  if (nfd < 0) {
    int res = parent_failed(r);
    close(ofd);
    return res;
  }
  int res = job->expect[i].kind < 0 ? R_DONE : absync_check(ofd, oname, &job->expect[i]);
  if (res == R_ERROR) absync_fail(r, "lstat");
  else if (res == R_DONE) {
    /* The target's folder for the backup is the target's parent path. */
    char bparent[PATH_MAX];
    size_t n = (size_t)(nname - job->tos[i]);
    n = n > 0 ? n - 1 : 0;
    if (n >= sizeof bparent) n = 0;
    memcpy(bparent, job->tos[i], n);
    bparent[n] = 0;
    res = absync_place(ofd, oname, nfd, nname, &job->replace[i], job->backupfd, bparent, r, 0);
  }
  close(ofd);
  close(nfd);
  return res;
}

static void execute(napi_env env, void *data) {
  (void)env;
  RenameJob *job = (RenameJob *)data;
  for (uint32_t i = 0; i < job->n; i++) job->res[i].result = rename_one(job, i);
}

static void free_job(RenameJob *job) {
  for (uint32_t i = 0; i < job->n; i++) {
    if (job->froms) free(job->froms[i]);
    if (job->tos) free(job->tos[i]);
  }
  free(job->froms);
  free(job->tos);
  free(job->expect);
  free(job->replace);
  free(job->res);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  RenameJob *job = (RenameJob *)data;
  absync_settle(env, job->deferred, status, job->res, job->tos, job->n, "rename cancelled");
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/*
 * rename(rootfd, froms: string[], tos: string[], numbers: number[] (8 per rename: what must be at `from`, then what may be
 * replaced at `to`, each kind, size, mtime us, inode; kind NaN: none), backupfd): Promise<{ results, errors }>.
 */
napi_value absync_rename(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t rootfd = -1, backupfd = -1;
  int64_t n64 = argc == 5 ? absync_arg_length(env, argv[1]) : -1;
  if (n64 < 0 || napi_get_value_int32(env, argv[0], &rootfd) != napi_ok || napi_get_value_int32(env, argv[4], &backupfd) != napi_ok) {
    napi_throw_type_error(env, NULL, "rename(rootfd, froms[], tos[], numbers[], backupfd)");
    return NULL;
  }
  uint32_t n = (uint32_t)n64;
  RenameJob *job = calloc(1, sizeof(RenameJob));
  if (!job) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  size_t m = n ? n : 1;
  job->n = n;
  job->rootfd = rootfd;
  job->backupfd = backupfd;
  job->froms = calloc(m, sizeof(char *));
  job->tos = calloc(m, sizeof(char *));
  job->expect = calloc(m, sizeof(Expect));
  job->replace = calloc(m, sizeof(Expect));
  job->res = calloc(m, sizeof(ItemResult));
  double *nums = malloc(m * 8 * sizeof(double));
  int ok = job->froms && job->tos && job->expect && job->replace && job->res && nums && absync_arg_strings(env, argv[1], n, job->froms) &&
           absync_arg_strings(env, argv[2], n, job->tos) && absync_arg_numbers(env, argv[3], 8 * n, nums);
  for (uint32_t i = 0; ok && i < n; i++) {
    job->expect[i] = absync_expect_at(nums, 8 * i);
    job->replace[i] = absync_expect_at(nums, 8 * i + 4);
  }
  free(nums);
  if (!ok) {
    free_job(job);
    napi_throw_type_error(env, NULL, "rename: bad arguments");
    return NULL;
  }
  return absync_queue(env, "absync.rename", execute, complete, job, &job->work, &job->deferred);
}
