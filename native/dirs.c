/*
 * Folder steps of the apply phase, a batch of folders of one parent per trip to a libuv pool thread: creating them,
 * and setting their mode and mtime at the end. Node needs one trip per call (mkdir; chmod and utimes) plus a
 * synchronous lstat of the parent on the main thread; a first copy of 2,000 folders spent ~220 ms there.
 * Same results as src/engine/apply/make-entry.ts (makeDir) and set-attrs.ts, which stay the JavaScript path.
 *
 * The parent is opened once per batch without following any symlink (absync_open_beneath). Attributes are set
 * through the folder itself, opened with O_NOFOLLOW | O_DIRECTORY, so a folder swapped for a link is never followed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

enum { R_DONE = 0, R_GONE = 1, R_CHANGED = 2, R_UNSAFE = 3, R_ERROR = 4 };
enum { OP_MKDIR = 0, OP_ATTRS = 1 };

typedef struct {
  char *name;
  int mode;  /* -1: leave */
  double mtime; /* NaN: leave */
  int result, err;
  const char *syscall;
} DirItem;

typedef struct {
  char *root, *parent;
  int op;
  DirItem *items;
  uint32_t n;
  napi_async_work work;
  napi_deferred deferred;
} DirJob;

static int item_fail(DirItem *it, const char *syscall) {
  it->err = errno;
  it->syscall = syscall;
  return R_ERROR;
}

static int make_dir(int dfd, DirItem *it) {
  /* Owner-writable until its children are in; the attributes step gives it the source's mode at the end. */
  if (mkdirat(dfd, it->name, 0700) == 0) return R_DONE;
  if (errno != EEXIST) return item_fail(it, "mkdir");
  struct stat st;
  if (fstatat(dfd, it->name, &st, AT_SYMLINK_NOFOLLOW) != 0) return item_fail(it, "lstat");
  return S_ISDIR(st.st_mode) ? R_DONE : R_CHANGED;
}

static int set_attrs(int dfd, DirItem *it) {
  struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_NOW}, {.tv_sec = 0, .tv_nsec = UTIME_OMIT}};
  if (!isnan(it->mtime)) times[1] = absync_ms_to_timespec(it->mtime);
  int fd = openat(dfd, it->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return R_GONE;
    if (errno == ELOOP || errno == ENOTDIR) return R_CHANGED;
    if (errno != EACCES) return item_fail(it, "open");
    /* A folder we may not read (mode 0300, say) can still be changed by name; it was a folder a moment ago. */
    if (it->mode >= 0 && fchmodat(dfd, it->name, (mode_t)it->mode, 0) != 0) return item_fail(it, "chmod");
    if (utimensat(dfd, it->name, times, AT_SYMLINK_NOFOLLOW) != 0) return item_fail(it, "utime");
    return R_DONE;
  }
  int r = R_DONE;
  if (it->mode >= 0 && fchmod(fd, (mode_t)it->mode) != 0) r = item_fail(it, "chmod");
  else if (futimens(fd, times) != 0) r = item_fail(it, "utime");
  close(fd);
  return r;
}

static void execute(napi_env env, void *data) {
  (void)env;
  DirJob *job = (DirJob *)data;
  int dfd = -1, unsafe = 0, open_err = 0;
  int rootfd = open(job->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) open_err = errno;
  else {
    dfd = absync_open_beneath(rootfd, job->parent);
    if (dfd < 0) {
      if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV) unsafe = 1;
      else open_err = errno;
    }
    close(rootfd);
  }
  for (uint32_t i = 0; i < job->n; i++) {
    DirItem *it = &job->items[i];
    if (unsafe) it->result = R_UNSAFE;
    else if (open_err) {
      errno = open_err;
      it->result = item_fail(it, "open");
    } else it->result = job->op == OP_MKDIR ? make_dir(dfd, it) : set_attrs(dfd, it);
  }
  if (dfd >= 0) close(dfd);
}

static void free_job(DirJob *job) {
  for (uint32_t i = 0; i < job->n; i++) free(job->items[i].name);
  free(job->items);
  free(job->root);
  free(job->parent);
  free(job);
}

static int item_result(void *job, uint32_t i) { return ((DirJob *)job)->items[i].result; }

static void item_error(void *job, uint32_t i, char *buf, size_t size) {
  const DirJob *d = (DirJob *)job;
  const DirItem *it = &d->items[i];
  const char *code = absync_errno_code(it->err);
  snprintf(buf, size, "%s\n%s: %s, %s '%s%s%s/%s'", code, code, strerror(it->err), it->syscall, d->root, d->parent[0] ? "/" : "",
           d->parent, it->name);
}

static const AbsyncBatchView VIEW = {item_result, item_error, R_ERROR, "folder step cancelled"};

static void complete(napi_env env, napi_status status, void *data) {
  DirJob *job = (DirJob *)data;
  absync_settle_batch(env, job->deferred, status, job, job->n, &VIEW);
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/*
 * dirs(root, parent, op: 0 mkdir | 1 attrs, names: string[], modes: number[] (-1: leave), mtimes: number[] (NaN: leave)):
 * Promise<{ results: Int32Array (0 done | 1 gone | 2 changed (not a folder) | 3 unsafe parent | 4 error), errors }>.
 */
napi_value absync_dirs(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t n = 0, n2 = 0, n3 = 0;
  int32_t op = 0;
  if (argc < 6 || napi_get_value_int32(env, argv[2], &op) != napi_ok || napi_get_array_length(env, argv[3], &n) != napi_ok ||
      napi_get_array_length(env, argv[4], &n2) != napi_ok || napi_get_array_length(env, argv[5], &n3) != napi_ok || n != n2 ||
      n != n3) {
    napi_throw_type_error(env, NULL, "dirs(root, parent, op, names[], modes[], mtimes[])");
    return NULL;
  }
  DirJob *job = calloc(1, sizeof(DirJob));
  if (!job || !(job->items = calloc(n ? n : 1, sizeof(DirItem)))) {
    free(job);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->n = n;
  job->op = op;
  job->root = absync_arg_string(env, argv[0]);
  job->parent = absync_arg_string(env, argv[1]);
  int ok = job->root && job->parent;
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value a, b, c;
    napi_get_element(env, argv[3], i, &a);
    napi_get_element(env, argv[4], i, &b);
    napi_get_element(env, argv[5], i, &c);
    DirItem *it = &job->items[i];
    int32_t mode = -1;
    double mtime = NAN;
    ok = (it->name = absync_arg_string(env, a)) && napi_get_value_int32(env, b, &mode) == napi_ok && napi_get_value_double(env, c, &mtime) == napi_ok;
    it->mode = mode;
    it->mtime = mtime;
  }
  if (!ok) {
    free_job(job);
    napi_throw_type_error(env, NULL, "dirs: bad arguments");
    return NULL;
  }
  return absync_queue(env, "absync.dirs", execute, complete, job, &job->work, &job->deferred);
}
