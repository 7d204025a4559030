/*
 * Folder steps and attributes of the apply phase, a batch of one folder's entries per trip to a libuv pool thread:
 * creating folders, and setting the mode and mtime of folders, files and links at the end. The parent is opened once
 * per batch without following any symlink (absync_open_beneath); each entry's attributes are set without following a
 * link (through the folder itself opened O_NOFOLLOW, or fchmodat / utimensat with AT_SYMLINK_NOFOLLOW), so an entry
 * swapped for a link is never followed. A permission refused (EPERM: not the owner) is that entry's failure.
 * Also `openDir`, which JavaScript uses once per run to hold the roots (and the backup tree) open.
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

enum { OP_MKDIR = 0, OP_ATTRS = 1 };

typedef struct {
  char *name;
  int kind;     /* OP_ATTRS: K_FILE, K_DIR or K_SYMLINK */
  int mode;     /* -1: leave */
  double mtime; /* ms; NaN: leave */
} DirItem;

typedef struct {
  int rootfd, op;
  char *parent;
  DirItem *items;
  ItemResult *res;
  char **where;
  uint32_t n;
  napi_async_work work;
  napi_deferred deferred;
} DirJob;

static int make_dir(int dfd, DirItem *it, ItemResult *r) {
  /* Owner-writable until its children are in; the attributes step gives it the source's mode at the end. */
  if (mkdirat(dfd, it->name, 0700) == 0) return R_DONE;
  if (errno != EEXIST) return absync_fail(r, "mkdir");
  struct stat st;
  if (fstatat(dfd, it->name, &st, AT_SYMLINK_NOFOLLOW) != 0) return absync_fail(r, "lstat");
  return S_ISDIR(st.st_mode) ? R_DONE : R_CHANGED;
}

static int fd_attrs(int fd, const DirItem *it, const struct timespec times[2], ItemResult *r) {
  if (it->mode >= 0 && fchmod(fd, (mode_t)it->mode) != 0) return absync_fail(r, "chmod");
  if (!isnan(it->mtime) && futimens(fd, times) != 0) return absync_fail(r, "utime");
  return R_DONE;
}

static int set_attrs(int dfd, DirItem *it, ItemResult *r) {
  struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_NOW}, {.tv_sec = 0, .tv_nsec = UTIME_OMIT}};
  if (!isnan(it->mtime)) times[1] = absync_ms_to_timespec(it->mtime);
  /* The root itself: the folder this batch opened. */
  if (it->name[0] == 0) return fd_attrs(dfd, it, times, r);
  struct stat st;
  if (fstatat(dfd, it->name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? R_GONE : absync_fail(r, "lstat");
  if (absync_kind_of(st.st_mode) != it->kind) return R_CHANGED;
  if (it->kind == K_DIR) {
    int fd = openat(dfd, it->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      int res = fd_attrs(fd, it, times, r);
      close(fd);
      return res;
    }
    if (errno == ENOENT) return R_GONE;
    if (errno == ELOOP || errno == ENOTDIR) return R_CHANGED;
    if (errno != EACCES) return absync_fail(r, "open");
    /* A folder we may not read (mode 0300, say) can still be changed by name, without following a link. */
  }
  if (it->kind != K_SYMLINK && it->mode >= 0 && fchmodat(dfd, it->name, (mode_t)it->mode, AT_SYMLINK_NOFOLLOW) != 0) {
    /* EOPNOTSUPP: it became a link since the lstat; its target is left alone. */
    return errno == EOPNOTSUPP ? R_CHANGED : errno == ENOENT ? R_GONE : absync_fail(r, "chmod");
  }
  if (!isnan(it->mtime) && utimensat(dfd, it->name, times, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? R_GONE : absync_fail(r, "utime");
  return R_DONE;
}

static void execute(napi_env env, void *data) {
  (void)env;
  DirJob *job = (DirJob *)data;
  int dfd = absync_batch_parent(job->rootfd, job->parent, job->res, job->n);
  if (dfd < 0) return;
  for (uint32_t i = 0; i < job->n; i++) {
    DirItem *it = &job->items[i];
    job->res[i].result = job->op == OP_MKDIR ? make_dir(dfd, it, &job->res[i]) : set_attrs(dfd, it, &job->res[i]);
  }
  close(dfd);
}

static void free_job(DirJob *job) {
  for (uint32_t i = 0; i < job->n; i++) {
    free(job->items[i].name);
    free(job->where[i]);
  }
  free(job->items);
  free(job->res);
  free(job->where);
  free(job->parent);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  DirJob *job = (DirJob *)data;
  absync_settle(env, job->deferred, status, job->res, job->where, job->n, "folder step cancelled");
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/*
 * dirs(rootfd, parent, op: 0 mkdir | 1 attrs, names: string[], numbers: number[] (3 per entry: kind, mode (-1: leave),
 * mtime ms (NaN: leave))): Promise<{ results: Int32Array, errors }>. With op attrs, parent '' and name '' is the root.
 */
napi_value absync_dirs(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t rootfd = -1, op = 0;
  int64_t n64 = argc == 5 ? absync_arg_length(env, argv[3]) : -1;
  if (n64 < 0 || napi_get_value_int32(env, argv[0], &rootfd) != napi_ok || napi_get_value_int32(env, argv[2], &op) != napi_ok) {
    napi_throw_type_error(env, NULL, "dirs(rootfd, parent, op, names[], numbers[])");
    return NULL;
  }
  uint32_t n = (uint32_t)n64;
  DirJob *job = calloc(1, sizeof(DirJob));
  if (!job) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->n = n;
  job->op = op;
  job->rootfd = rootfd;
  job->items = calloc(n ? n : 1, sizeof(DirItem));
  job->res = calloc(n ? n : 1, sizeof(ItemResult));
  job->where = calloc(n ? n : 1, sizeof(char *));
  char **names = calloc(n ? n : 1, sizeof(char *));
  double *nums = malloc((n ? n : 1) * 3 * sizeof(double));
  int ok = job->items && job->res && job->where && names && nums && (job->parent = absync_arg_string(env, argv[1])) &&
           absync_arg_strings(env, argv[3], n, names) && absync_arg_numbers(env, argv[4], 3 * n, nums);
  for (uint32_t i = 0; ok && i < n; i++) {
    DirItem *it = &job->items[i];
    it->name = names[i];
    names[i] = NULL;
    it->kind = (int)nums[3 * i];
    it->mode = (int)nums[3 * i + 1];
    it->mtime = nums[3 * i + 2];
    size_t len = strlen(job->parent) + strlen(it->name) + 2;
    if ((job->where[i] = malloc(len))) snprintf(job->where[i], len, "%s%s%s", job->parent, job->parent[0] && it->name[0] ? "/" : "", it->name);
  }
  for (uint32_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
  free(nums);
  if (!ok) {
    if (job->items && job->res && job->where) free_job(job);
    napi_throw_type_error(env, NULL, "dirs: bad arguments");
    return NULL;
  }
  return absync_queue(env, "absync.dirs", execute, complete, job, &job->work, &job->deferred);
}

/*
 * openDir(rootfd, rel, create): the folder `rel` below the open folder `rootfd`, opened without following a link
 * (and made on the way, mode 0700, with `create`), as a file descriptor JavaScript closes; throws an Error with
 * `code` when it cannot (ELOOP / ENOTDIR / EXDEV: something on the way is not a real folder).
 */
napi_value absync_open_dir(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t rootfd = -1;
  bool create = false;
  char *rel = argc == 3 && napi_get_value_int32(env, argv[0], &rootfd) == napi_ok ? absync_arg_string(env, argv[1]) : NULL;
  if (!rel || napi_get_value_bool(env, argv[2], &create) != napi_ok) {
    free(rel);
    napi_throw_type_error(env, NULL, "openDir(rootfd, rel, create)");
    return NULL;
  }
  int fd = create ? absync_mkdirs_beneath(rootfd, rel) : absync_open_beneath(rootfd, rel);
  int e = errno;
  if (fd < 0) {
    char buf[4400];
    const char *code = absync_errno_code(e);
    snprintf(buf, sizeof buf, "%s: %s, open '%s'", code, strerror(e), rel);
    free(rel);
    napi_value msg, err, c;
    napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
    napi_set_named_property(env, err, "code", c);
    napi_throw(env, err);
    return NULL;
  }
  free(rel);
  napi_value v;
  napi_create_int32(env, fd, &v);
  return v;
}

/* openFile(rootfd, rel): a regular file below `rootfd`, read-only, never through a link, never blocking, as an fd;
 * throws an Error with `code` (ELOOP / ENOTDIR / EXDEV: a folder on the way is not a real folder). */
napi_value absync_open_file(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t rootfd = -1;
  char *rel = argc == 2 && napi_get_value_int32(env, argv[0], &rootfd) == napi_ok ? absync_arg_string(env, argv[1]) : NULL;
  if (!rel) {
    napi_throw_type_error(env, NULL, "openFile(rootfd, rel)");
    return NULL;
  }
  int fd = absync_open_file_beneath(rootfd, rel);
  int e = errno;
  if (fd < 0) {
    char buf[4400];
    const char *code = absync_errno_code(e);
    snprintf(buf, sizeof buf, "%s: %s, open '%s'", code, strerror(e), rel);
    free(rel);
    napi_value msg, err, c;
    napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
    napi_set_named_property(env, err, "code", c);
    napi_throw(env, err);
    return NULL;
  }
  free(rel);
  napi_value v;
  napi_create_int32(env, fd, &v);
  return v;
}

/* setTimes(fd, atimeSec, atimeNsec, mtimeSec, mtimeNsec): a folder's times to the nanosecond (a refused run puts the
 * destination root's mtime back exactly); returns 0 or an errno. */
napi_value absync_set_times(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  int64_t v[4] = {0, 0, 0, 0};
  int ok = argc == 5 && napi_get_value_int32(env, argv[0], &fd) == napi_ok;
  for (int i = 0; ok && i < 4; i++) ok = napi_get_value_int64(env, argv[i + 1], &v[i]) == napi_ok;
  struct timespec times[2] = {{.tv_sec = (time_t)v[0], .tv_nsec = (long)v[1]}, {.tv_sec = (time_t)v[2], .tv_nsec = (long)v[3]}};
  int r = ok && futimens(fd, times) == 0 ? 0 : errno;
  napi_value out;
  napi_create_int32(env, ok ? r : EINVAL, &out);
  return out;
}
