/*
 * One file write of the apply phase in a single trip to a libuv pool thread, where Node needs four (copyFile, lstat,
 * utimes, rename) plus a synchronous lstat of the parent on the main thread. Same steps and the same guarantees as
 * src/engine/apply/write-file.ts, which stays the path for in-memory contents, backups and builds without the addon:
 *
 *   1. open the destination folder below the root without following any symlink (openat2 RESOLVE_NO_SYMLINKS, or
 *      one O_NOFOLLOW component at a time), so nothing is ever written through a link, with no window between
 *      check and write;
 *   2. open the source with O_NOFOLLOW and fstat it; create a temporary name in that folder with O_EXCL;
 *   3. copy (FICLONE, then copy_file_range, then read/write), set mode and the mtime floored to the microsecond
 *      (times.ts), close;
 *   4. lstat the source path again: if it changed while being copied, copy again (3 tries), then report it torn;
 *   5. rename into place (copy actions; an update returns first, for its expectation check and backup in JS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif
#include "common.h"

enum { R_DONE = 0, R_GONE = 1, R_TORN = 2, R_UNSAFE = 3, R_ERROR = 4 };
#define TRIES 3

typedef struct {
  char *src, *root, *parent, *tmp, *final;
  int do_rename;
  /* out */
  int result;
  int err;
  const char *syscall;
  char *err_path;
  napi_async_work work;
  napi_deferred deferred;
} CopyJob;

/* The folder `rel` below `rootfd`, opened without following a symlink anywhere on the way. */
static int open_beneath(int rootfd, const char *rel) {
  if (rel[0] == 0) return dup(rootfd);
#ifdef SYS_openat2
  struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH};
  int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != EAGAIN)) return fd;
#endif
  /* Kernels before 5.6 (or seccomp filters that refuse openat2): one component at a time. */
  char buf[4096];
  size_t n = strlen(rel);
  if (n >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, rel, n + 1);
  int cur = dup(rootfd);
  char *part = buf;
  while (cur >= 0 && part) {
    char *slash = strchr(part, '/');
    if (slash) *slash = 0;
    int next = openat(cur, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(cur);
    errno = e;
    cur = next;
    part = slash ? slash + 1 : NULL;
  }
  return cur;
}

static int copy_bytes(int in, int out, off_t size) {
  if (ioctl(out, FICLONE, in) == 0) return 0;
  off_t done = 0;
  int use_range = 1;
  while (done < size) {
    ssize_t n = -1;
    if (use_range) {
      n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        use_range = 0;
        continue;
      }
    } else {
      char buf[65536];
      ssize_t r = read(in, buf, sizeof buf);
      if (r < 0) return -1;
      if (r == 0) break;
      for (ssize_t w = 0; w < r;) {
        ssize_t k = write(out, buf + w, (size_t)(r - w));
        if (k < 0) return -1;
        w += k;
      }
      n = r;
    }
    if (n < 0) return -1;
    if (n == 0) break; /* the source shrank while being copied: the lstat after the copy notices */
    done += n;
  }
  return 0;
}

static int same_state(const struct stat *a, const struct stat *b) {
  return a->st_ino == b->st_ino && a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The mtime as the scan sees it: truncated to the microsecond (times.ts). */
static struct timespec micro_time(const struct timespec *t) {
  int64_t us = ((int64_t)t->tv_sec * 1000000000LL + t->tv_nsec) / 1000;
  int64_t sec = us / 1000000, rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    sec -= 1;
  }
  struct timespec out = {.tv_sec = (time_t)sec, .tv_nsec = (long)(rem * 1000)};
  return out;
}

static int fail(CopyJob *j, const char *syscall, const char *path) {
  j->result = R_ERROR;
  j->err = errno;
  j->syscall = syscall;
  j->err_path = strdup(path);
  return R_ERROR;
}

/* One attempt: 0 when the temporary file holds a consistent copy, else an R_ code. */
static int copy_once(CopyJob *j, int dirfd) {
  int in = open(j->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? R_GONE : fail(j, "open", j->src);
  struct stat before, after;
  if (fstat(in, &before) != 0) {
    int e = errno;
    close(in);
    errno = e;
    return fail(j, "fstat", j->src);
  }
  if (!S_ISREG(before.st_mode)) {
    close(in);
    return R_GONE;
  }
  int out = openat(dirfd, j->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    int e = errno;
    close(in);
    errno = e;
    return fail(j, "open", j->tmp);
  }
  struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_NOW}, micro_time(&before.st_mtim)};
  const char *step = NULL;
  if (copy_bytes(in, out, before.st_size) != 0) step = "copyfile";
  else if (fchmod(out, before.st_mode & 07777) != 0) step = "fchmod";
  else if (futimens(out, times) != 0) step = "futime";
  int e = errno;
  close(in);
  if (close(out) != 0 && !step) {
    e = errno;
    step = "close";
  }
  if (step) {
    unlinkat(dirfd, j->tmp, 0);
    errno = e;
    return fail(j, step, j->src);
  }
  if (lstat(j->src, &after) != 0 || !S_ISREG(after.st_mode)) {
    unlinkat(dirfd, j->tmp, 0);
    return R_GONE;
  }
  if (!same_state(&before, &after)) {
    unlinkat(dirfd, j->tmp, 0);
    return R_TORN;
  }
  return R_DONE;
}

static void execute(napi_env env, void *data) {
  (void)env;
  CopyJob *j = (CopyJob *)data;
  int rootfd = open(j->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    fail(j, "open", j->root);
    return;
  }
  int dirfd = open_beneath(rootfd, j->parent);
  close(rootfd);
  if (dirfd < 0) {
    if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV) j->result = R_UNSAFE;
    else fail(j, "open", j->parent);
    return;
  }
  int r = R_TORN;
  for (int attempt = 0; attempt < TRIES && r == R_TORN; attempt++) r = copy_once(j, dirfd);
  if (r == R_DONE && j->do_rename && renameat(dirfd, j->tmp, dirfd, j->final) != 0) {
    int e = errno;
    unlinkat(dirfd, j->tmp, 0);
    errno = e;
    r = fail(j, "rename", j->final);
  }
  close(dirfd);
  j->result = r;
}

static void free_job(CopyJob *j) {
  free(j->src);
  free(j->root);
  free(j->parent);
  free(j->tmp);
  free(j->final);
  free(j->err_path);
  free(j);
}

static void complete(napi_env env, napi_status status, void *data) {
  CopyJob *j = (CopyJob *)data;
  if (status != napi_ok || j->result == R_ERROR) {
    const char *code = status != napi_ok ? "EUNKNOWN" : absync_errno_code(j->err);
    char buf[4300];
    snprintf(buf, sizeof buf, "%s: %s, %s '%s'", code, status != napi_ok ? "copy cancelled" : strerror(j->err),
             j->syscall ? j->syscall : "copy", j->err_path ? j->err_path : j->src);
    napi_value msg, err, v;
    napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, err, "code", v);
    if (j->syscall) {
      napi_create_string_utf8(env, j->syscall, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, err, "syscall", v);
    }
    napi_reject_deferred(env, j->deferred, err);
  } else {
    napi_value v;
    napi_create_int32(env, j->result, &v);
    napi_resolve_deferred(env, j->deferred, v);
  }
  napi_delete_async_work(env, j->work);
  free_job(j);
}

static char *arg_string(napi_env env, napi_value v) {
  size_t n;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return NULL;
  char *s = malloc(n + 1);
  if (s) napi_get_value_string_utf8(env, v, s, n + 1, &n);
  return s;
}

/*
 * copy(source, root, parent, tmpName, finalName, rename): Promise<0 done | 1 gone | 2 torn | 3 unsafe parent>.
 * `parent` is the folder relative to `root` ('' for the root); tmpName and finalName are names in it.
 */
napi_value absync_copy(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], promise, name;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  CopyJob *j = calloc(1, sizeof(CopyJob));
  if (!j || argc < 6) {
    free(j);
    napi_throw_type_error(env, NULL, "copy(source, root, parent, tmpName, finalName, rename)");
    return NULL;
  }
  j->src = arg_string(env, argv[0]);
  j->root = arg_string(env, argv[1]);
  j->parent = arg_string(env, argv[2]);
  j->tmp = arg_string(env, argv[3]);
  j->final = arg_string(env, argv[4]);
  bool rn = false;
  napi_get_value_bool(env, argv[5], &rn);
  j->do_rename = rn;
  if (!j->src || !j->root || !j->parent || !j->tmp || !j->final) {
    free_job(j);
    napi_throw_type_error(env, NULL, "copy: paths must be strings");
    return NULL;
  }
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "absync.copy", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}
