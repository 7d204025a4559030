/*
 * File writes of the apply phase, a batch of files of one folder per trip to a libuv pool thread, where Node needs four
 * trips per file (copyFile, lstat, utimes, rename) plus a synchronous lstat of the parent on the main thread. Same
 * steps and the same guarantees as src/engine/apply/write-file.ts, which stays the path for in-memory contents and
 * builds without the addon. For each batch, then for each file:
 *
 *   1. (once per batch) open the destination folder below the root without following any symlink (openat2
 *      RESOLVE_NO_SYMLINKS, or one O_NOFOLLOW component at a time): nothing is ever written through a link, and
 *      there is no window between that check and the writes;
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
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

enum { R_DONE = 0, R_GONE = 1, R_TORN = 2, R_UNSAFE = 3, R_ERROR = 4, R_CHANGED = 5 };
#define TRIES 3

/* One file of a batch; all files of a batch go to the same destination folder. */
typedef struct {
  char *src, *tmp, *final;
  /* An update's expectation of what it replaces (size, mtime in ms, inode); has_expect = 0 for new files. */
  int has_expect;
  double expect[3];
  int result;
  int err;
  const char *syscall;
  const char *err_path; /* points into this item's strings */
} Item;

typedef struct {
  char *root, *parent;
  int do_rename;
  Item *items;
  uint32_t n;
  napi_async_work work;
  napi_deferred deferred;
} CopyJob;

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
  return absync_us_to_timespec(((int64_t)t->tv_sec * 1000000000LL + t->tv_nsec) / 1000);
}

static int fail(Item *j, const char *syscall, const char *path) {
  j->result = R_ERROR;
  j->err = errno;
  j->syscall = syscall;
  j->err_path = path;
  return R_ERROR;
}

/* One attempt: 0 when the temporary file holds a consistent copy, else an R_ code. */
static int copy_once(Item *j, int dirfd) {
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

/* An update replaces only the file the scan saw (apply/expect.ts): same kind, inode, size and mtime. */
static int as_expected(int dirfd, const Item *j) {
  struct stat st;
  if (fstatat(dirfd, j->final, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return 0;
  int64_t us = ((int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec) / 1000;
  return (double)st.st_ino == j->expect[2] && (double)st.st_size == j->expect[0] && llround(j->expect[1] * 1000.0) == us;
}

static void execute(napi_env env, void *data) {
  (void)env;
  CopyJob *job = (CopyJob *)data;
  int dirfd = -1, unsafe = 0, open_err = 0;
  int rootfd = open(job->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) open_err = errno;
  else {
    dirfd = absync_open_beneath(rootfd, job->parent);
    if (dirfd < 0) {
      if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV) unsafe = 1;
      else open_err = errno;
    }
    close(rootfd);
  }
  for (uint32_t i = 0; i < job->n; i++) {
    Item *j = &job->items[i];
    if (unsafe) {
      j->result = R_UNSAFE;
      continue;
    }
    if (open_err) {
      errno = open_err;
      fail(j, "open", rootfd < 0 ? job->root : job->parent);
      continue;
    }
    int r = R_TORN;
    for (int attempt = 0; attempt < TRIES && r == R_TORN; attempt++) r = copy_once(j, dirfd);
    if (r == R_DONE && job->do_rename && j->has_expect && !as_expected(dirfd, j)) {
      unlinkat(dirfd, j->tmp, 0);
      r = R_CHANGED;
    }
    if (r == R_DONE && job->do_rename && renameat(dirfd, j->tmp, dirfd, j->final) != 0) {
      int e = errno;
      unlinkat(dirfd, j->tmp, 0);
      errno = e;
      r = fail(j, "rename", j->final);
    }
    j->result = r;
  }
  if (dirfd >= 0) close(dirfd);
}

static void free_job(CopyJob *j) {
  for (uint32_t i = 0; i < j->n; i++) {
    free(j->items[i].src);
    free(j->items[i].tmp);
    free(j->items[i].final);
  }
  free(j->items);
  free(j->root);
  free(j->parent);
  free(j);
}

static int item_result(void *job, uint32_t i) { return ((CopyJob *)job)->items[i].result; }

static void item_error(void *job, uint32_t i, char *buf, size_t size) {
  const Item *j = &((CopyJob *)job)->items[i];
  const char *code = absync_errno_code(j->err);
  snprintf(buf, size, "%s\n%s: %s, %s '%s'", code, code, strerror(j->err), j->syscall ? j->syscall : "copy", j->err_path ? j->err_path : j->src);
}

static const AbsyncBatchView VIEW = {item_result, item_error, R_ERROR, "copy cancelled"};

static void complete(napi_env env, napi_status status, void *data) {
  CopyJob *job = (CopyJob *)data;
  absync_settle_batch(env, job->deferred, status, job, job->n, &VIEW);
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/*
 * copy(root, parent, sources: string[], tmpNames: string[], finalNames: string[], rename: boolean, expect: number[]):
 * Promise<{ results: Int32Array (0 done | 1 gone | 2 torn | 3 unsafe parent | 4 error | 5 changed), errors }>.
 * `expect` holds (size, mtime ms, inode) per file, NaN for a new file: an update is put in place only over that.
 * `parent` is the folder relative to `root` ('' for the root), opened once for the whole batch; tmpNames and
 * finalNames are names in it. With `rename` false the copies stay under their temporary names.
 */
napi_value absync_copy(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t n = 0, n2 = 0, n3 = 0, n4 = 0;
  if (argc < 7 || napi_get_array_length(env, argv[2], &n) != napi_ok || napi_get_array_length(env, argv[3], &n2) != napi_ok ||
      napi_get_array_length(env, argv[4], &n3) != napi_ok || n != n2 || n != n3 ||
      napi_get_array_length(env, argv[6], &n4) != napi_ok || n4 != 3 * n) {
    napi_throw_type_error(env, NULL, "copy(root, parent, sources[], tmpNames[], finalNames[], rename, expect[])");
    return NULL;
  }
  CopyJob *job = calloc(1, sizeof(CopyJob));
  if (!job || !(job->items = calloc(n ? n : 1, sizeof(Item)))) {
    free(job);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->n = n;
  job->root = absync_arg_string(env, argv[0]);
  job->parent = absync_arg_string(env, argv[1]);
  bool rn = false;
  napi_get_value_bool(env, argv[5], &rn);
  job->do_rename = rn;
  int ok = job->root && job->parent;
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value a, b, c;
    napi_get_element(env, argv[2], i, &a);
    napi_get_element(env, argv[3], i, &b);
    napi_get_element(env, argv[4], i, &c);
    Item *j = &job->items[i];
    ok = (j->src = absync_arg_string(env, a)) && (j->tmp = absync_arg_string(env, b)) && (j->final = absync_arg_string(env, c));
    for (uint32_t k = 0; ok && k < 3; k++) {
      napi_value e;
      ok = napi_get_element(env, argv[6], 3 * i + k, &e) == napi_ok && napi_get_value_double(env, e, &j->expect[k]) == napi_ok;
    }
    j->has_expect = ok && !isnan(j->expect[0]);
  }
  if (!ok) {
    free_job(job);
    napi_throw_type_error(env, NULL, "copy: paths must be strings");
    return NULL;
  }
  return absync_queue(env, "absync.copy", execute, complete, job, &job->work, &job->deferred);
}
