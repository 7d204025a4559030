/*
 * File writes of the apply phase, a batch of files of one destination folder per trip to a libuv pool thread. For each
 * batch the destination folder is opened below the root without following any symlink (absync_open_beneath), and,
 * for files of the source tree, the source folder likewise below the source root. Then for each file:
 *
 *   1. open the source read-only with O_NOFOLLOW | O_NONBLOCK (a FIFO never blocks, a link is never followed) and
 *      fstat it: it must be a regular file, and the very file the scan saw (same inode);
 *   2. create the temporary name (unpredictable, chosen by JavaScript) with O_CREAT | O_EXCL | O_NOFOLLOW;
 *   3. copy (FICLONE, copy_file_range, read/write), fstat the source again: inode, size, mtime and ctime must be as
 *      before (a rewrite in place that puts the mtime back still moves the ctime) and the source name must still be
 *      that file, else copy again (3 tries) and then report it torn; mode and mtime are stamped from what was read;
 *   4. put it in place: a new file only where nothing is (RENAME_NOREPLACE); an update by exchanging it with the old
 *      file (RENAME_EXCHANGE), then checking that what came out is the file the scan saw (else exchanging back: nothing
 *      of someone else's is destroyed), then moving the old file to the backup tree or removing it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

/* One look that finds the source changed since the scan, then up to 3 copies. */
#define TRIES 4
enum { SRC_TREE = 0, SRC_PATH = 1, SRC_BYTES = 2 };

typedef struct {
  int kind;
  char *src; /* a name in the source folder (SRC_TREE) or an absolute path (SRC_PATH) */
  char *tmp, *final, *where;
  napi_ref bytes_ref;
  const uint8_t *bytes;
  size_t n_bytes;
  double mode;      /* -1: the source's, as read */
  double src_ino;   /* -1: any */
  double src_size;  /* SRC_TREE: the size the scan saw (-1: any); with mtime_us, what the first try must find */
  double mtime_us;  /* SRC_TREE: the mtime the scan saw; other kinds: the mtime to give (a tree's files are stamped from what was read) */
  Expect replace;   /* kind -1: a new file */
} Item;

typedef struct {
  int rootfd, srcfd, backupfd;
  char *parent;
  Item *items;
  ItemResult *res;
  char **where;
  uint32_t n;
  napi_async_work work;
  napi_deferred deferred;
} CopyJob;

/* Not copied yet: the source was changed within the last clock ticks (see recent()); look again after a tick. */
#define R_RECENT 100
/* How long a source may keep being that recent before the tries go on regardless (then the torn check decides). */
#define RECENT_WAIT_NS 250000000LL

/*
 * File times come from the kernel's coarse clock, which moves once a tick (1-10 ms): a write in the same tick as our
 * fstat can leave ctime as it was. A file changed within the last two ticks may still be being written, so its copy
 * waits until its ctime is older than that; any later write then moves its ctime, and the check after the copy sees it.
 */
static int recent(const struct stat *st, long *tick_ns) {
  struct timespec now, res;
  if (clock_gettime(CLOCK_REALTIME_COARSE, &now) != 0 || clock_getres(CLOCK_REALTIME_COARSE, &res) != 0) return 0;
  *tick_ns = res.tv_nsec > 0 ? res.tv_nsec : 1000000;
  int64_t c = (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
  int64_t n = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
  /* A ctime further ahead than a tick is another clock's (a network file system's server), not a recent write. */
  return c >= n - 2 * (int64_t)*tick_ns && c <= n + (int64_t)*tick_ns;
}

static int open_source(const Item *it, int srcdir) {
  if (it->kind == SRC_PATH) return open(it->src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  return openat(srcdir, it->src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/* The source name still names the file that was read. */
static int still_named(const Item *it, int srcdir, const struct stat *st) {
  struct stat now;
  int r = it->kind == SRC_PATH ? lstat(it->src, &now) : fstatat(srcdir, it->src, &now, AT_SYMLINK_NOFOLLOW);
  return r == 0 && now.st_ino == st->st_ino && now.st_dev == st->st_dev;
}

static int write_bytes(int out, const uint8_t *p, size_t n) {
  for (size_t w = 0; w < n;) {
    ssize_t k = write(out, p + w, n - w);
    if (k < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    w += (size_t)k;
  }
  return 0;
}

/*
 * One attempt: R_DONE when the temporary file holds one whole version of the source, stamped from it. A tree's file must
 * first be as last seen (`prev`, or on the first try as the scan saw it): one caught in the middle of a rewrite that
 * has not settled is never copied, only looked at again (`*seen`) by the next try.
 */
static int copy_once(Item *it, ItemResult *r, int dfd, int srcdir, const struct stat *prev, struct stat *seen, int64_t *waited) {
  struct stat before = {0}, after;
  int in = -1;
  if (it->kind != SRC_BYTES) {
    in = open_source(it, srcdir);
    if (in < 0) return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? R_GONE : absync_fail(r, "open");
    if (fstat(in, &before) != 0 || !S_ISREG(before.st_mode) || (it->src_ino >= 0 && (double)before.st_ino != it->src_ino)) {
      close(in);
      return R_GONE;
    }
    long tick = 0;
    if (it->kind != SRC_BYTES && *waited < RECENT_WAIT_NS && recent(&before, &tick)) {
      close(in);
      struct timespec pause = {.tv_sec = 0, .tv_nsec = tick};
      nanosleep(&pause, NULL);
      *waited += tick;
      return R_RECENT;
    }
    if (it->kind == SRC_TREE) {
      int settled = prev ? absync_same_state(prev, &before)
                         : (it->src_size < 0 || (double)before.st_size == it->src_size) && (double)absync_micros(&before.st_mtim) == it->mtime_us;
      *seen = before;
      if (!settled) {
        close(in);
        return R_TORN;
      }
    }
  }
  int out = openat(dfd, it->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) {
    int e = errno;
    if (in >= 0) close(in);
    errno = e;
    return absync_fail(r, "open");
  }
  const char *step = NULL;
  if (it->kind == SRC_BYTES) {
    if (write_bytes(out, it->bytes, it->n_bytes) != 0) step = "write";
  } else if (absync_copy_fd(in, out, before.st_size) != 0) step = "copyfile";
  mode_t mode = it->mode >= 0 ? (mode_t)it->mode : before.st_mode & 07777;
  /* A tree's file is stamped from what was read; other contents (a vinyl file) from the entry they stand for. */
  if (!step && fchmod(out, mode) != 0) step = "fchmod";
  if (!step) {
    int64_t us = it->kind != SRC_TREE ? (int64_t)it->mtime_us : absync_micros(&before.st_mtim);
    struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_NOW}, absync_us_to_timespec(us)};
    if (futimens(out, times) != 0) step = "futime";
  }
  int e = errno;
  int torn = 0;
  if (!step && in >= 0) torn = fstat(in, &after) != 0 || !absync_same_state(&before, &after) || !still_named(it, srcdir, &before);
  if (torn && in >= 0) *seen = after;
  if (in >= 0) close(in);
  if (close(out) != 0 && !step) {
    e = errno;
    step = "close";
  }
  if (step || torn) {
    unlinkat(dfd, it->tmp, 0);
    if (torn) return R_TORN;
    errno = e;
    return absync_fail(r, step);
  }
  return R_DONE;
}

/* Drops what we made at `name` when placing it failed; entries that are not ours (a rename's source) stay. */
static void drop(int ours, int fd, const char *name) {
  if (ours) unlinkat(fd, name, 0);
}

int absync_place(int ofd, const char *oname, int nfd, const char *nname, const Expect *replace, int backupfd, const char *bparent,
                 ItemResult *r, int ours) {
  if (replace->kind < 0) {
    if (absync_rename_noreplace(ofd, oname, nfd, nname) == 0) return R_DONE;
    int e = errno;
    drop(ours, ofd, oname);
    if (e == EEXIST || e == ENOTEMPTY) return R_CHANGED;
    errno = e;
    return e == ENOENT && !ours ? R_GONE : absync_fail(r, "rename");
  }
  if (absync_rename_exchange(ofd, oname, nfd, nname) != 0) {
    if (errno == ENOENT) {
      struct stat st;
      if (fstatat(ofd, oname, &st, AT_SYMLINK_NOFOLLOW) != 0) return ours ? absync_fail(r, "rename") : R_GONE;
      /* The old entry went away since the scan: nothing of anyone's is replaced by putting ours there. */
      const Expect none = {.kind = -1, .size = -1, .mtime_us = NAN, .ino = -1};
      return absync_place(ofd, oname, nfd, nname, &none, backupfd, bparent, r, ours);
    }
    if (errno != EINVAL && errno != ENOSYS) {
      int e = errno;
      drop(ours, ofd, oname);
      errno = e;
      return absync_fail(r, "rename");
    }
    /* No RENAME_EXCHANGE on this file system: check, then replace (one system call's window, as any path-based tool). */
    int c = absync_check(nfd, nname, replace);
    if (c != R_DONE) {
      int e = errno;
      drop(ours, ofd, oname);
      errno = e;
      return c == R_ERROR ? absync_fail(r, "lstat") : R_CHANGED;
    }
    if (backupfd >= 0 && absync_retire(nfd, nname, backupfd, bparent, nname) != 0) {
      int e = errno;
      drop(ours, ofd, oname);
      errno = e;
      return absync_fail(r, "backup");
    }
    if (renameat(ofd, oname, nfd, nname) == 0) return R_DONE;
    int e = errno;
    drop(ours, ofd, oname);
    errno = e;
    return absync_fail(r, "rename");
  }
  /* Ours is in place; the old entry is at `oname` now. Unless it is what the scan saw, swap back: nothing is lost. */
  if (absync_check(ofd, oname, replace) != R_DONE) {
    absync_rename_exchange(ofd, oname, nfd, nname);
    drop(ours, ofd, oname);
    return R_CHANGED;
  }
  if (backupfd >= 0) {
    if (absync_retire(ofd, oname, backupfd, bparent, nname) == 0) return R_DONE;
    int e = errno;
    absync_rename_exchange(ofd, oname, nfd, nname);
    drop(ours, ofd, oname);
    errno = e;
    return absync_fail(r, "backup");
  }
  if (unlinkat(ofd, oname, 0) != 0 && errno != ENOENT) return absync_fail(r, "unlink");
  return R_DONE;
}

static void execute(napi_env env, void *data) {
  (void)env;
  CopyJob *job = (CopyJob *)data;
  int dfd = absync_batch_parent(job->rootfd, job->parent, job->res, job->n);
  if (dfd < 0) return;
  int srcdir = -1, src_err = 0;
  if (job->srcfd >= 0) {
    srcdir = absync_open_beneath(job->srcfd, job->parent);
    if (srcdir < 0) src_err = errno;
  }
  for (uint32_t i = 0; i < job->n; i++) {
    Item *it = &job->items[i];
    ItemResult *r = &job->res[i];
    if (it->kind == SRC_TREE && srcdir < 0) {
      /* The source folder is gone, or is not a real folder any more: its files are not read through a link. */
      r->result = src_err == ENOENT || absync_unsafe_errno(src_err) ? R_GONE : (errno = src_err, absync_fail(r, "open"));
      continue;
    }
    int res = R_TORN;
    struct stat seen;
    int64_t waited = 0;
    for (int attempt = 0; attempt < TRIES && (res == R_TORN || res == R_RECENT);) {
      /* A look at a file still being written does not count as a try. */
      res = copy_once(it, r, dfd, srcdir, attempt ? &seen : NULL, &seen, &waited);
      if (res != R_RECENT) attempt++;
    }
    if (res == R_RECENT) res = R_TORN;
    if (res == R_DONE) res = absync_place(dfd, it->tmp, dfd, it->final, &it->replace, job->backupfd, job->parent, r, 1);
    r->result = res;
  }
  if (srcdir >= 0) close(srcdir);
  close(dfd);
}

static void free_job(napi_env env, CopyJob *j) {
  for (uint32_t i = 0; i < j->n; i++) {
    Item *it = &j->items[i];
    free(it->src);
    free(it->tmp);
    free(it->final);
    free(j->where[i]);
    if (it->bytes_ref) napi_delete_reference(env, it->bytes_ref);
  }
  free(j->items);
  free(j->res);
  free(j->where);
  free(j->parent);
  free(j);
}

static void complete(napi_env env, napi_status status, void *data) {
  CopyJob *job = (CopyJob *)data;
  absync_settle(env, job->deferred, status, job->res, job->where, job->n, "copy cancelled");
  napi_delete_async_work(env, job->work);
  free_job(env, job);
}

/*
 * copy(rootfd, parent, srcfd, kinds: number[] (0 tree | 1 path | 2 bytes), sources: (string | Buffer)[],
 *      tmpNames: string[], finalNames: string[], numbers: number[] (8 per file: mode (-1: as read), then the source's inode
 *      (-1: any), size (-1: any) and mtime us as scanned (for bytes and paths: the mtime to give), then the replaced file's
 *      kind, size, mtime us, inode (kind NaN: a new file)), backupfd (-1: none)):
 * Promise<{ results: Int32Array, errors }>. `parent` is the folder relative to both roots; names are in it.
 */
napi_value absync_copy(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t n64 = argc == 9 ? absync_arg_length(env, argv[3]) : -1;
  int32_t rootfd = -1, srcfd = -1, backupfd = -1;
  if (n64 < 0 || napi_get_value_int32(env, argv[0], &rootfd) != napi_ok || napi_get_value_int32(env, argv[2], &srcfd) != napi_ok ||
      napi_get_value_int32(env, argv[8], &backupfd) != napi_ok) {
    napi_throw_type_error(env, NULL, "copy(rootfd, parent, srcfd, kinds[], sources[], tmpNames[], finalNames[], numbers[], backupfd)");
    return NULL;
  }
  uint32_t n = (uint32_t)n64;
  CopyJob *job = calloc(1, sizeof(CopyJob));
  if (!job) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->n = n;
  job->rootfd = rootfd;
  job->srcfd = srcfd;
  job->backupfd = backupfd;
  job->items = calloc(n ? n : 1, sizeof(Item));
  job->res = calloc(n ? n : 1, sizeof(ItemResult));
  job->where = calloc(n ? n : 1, sizeof(char *));
  double *kinds = malloc((n ? n : 1) * sizeof(double));
  double *nums = malloc((n ? n : 1) * 8 * sizeof(double));
  char **tmps = calloc(n ? n : 1, sizeof(char *)), **finals = calloc(n ? n : 1, sizeof(char *));
  int ok = job->items && job->res && job->where && kinds && nums && tmps && finals && (job->parent = absync_arg_string(env, argv[1])) &&
           absync_arg_numbers(env, argv[3], n, kinds) && absync_arg_strings(env, argv[5], n, tmps) &&
           absync_arg_strings(env, argv[6], n, finals) && absync_arg_numbers(env, argv[7], 8 * n, nums);
  for (uint32_t i = 0; ok && i < n; i++) {
    Item *it = &job->items[i];
    it->kind = (int)kinds[i];
    it->tmp = tmps[i];
    it->final = finals[i];
    tmps[i] = finals[i] = NULL;
    it->mode = nums[8 * i];
    it->src_ino = nums[8 * i + 1];
    it->src_size = nums[8 * i + 2];
    it->mtime_us = nums[8 * i + 3];
    it->replace = absync_expect_at(nums, 8 * i + 4);
    napi_value v;
    ok = napi_get_element(env, argv[4], i, &v) == napi_ok;
    if (ok && it->kind == SRC_BYTES) {
      void *p;
      ok = napi_get_buffer_info(env, v, &p, &it->n_bytes) == napi_ok && napi_create_reference(env, v, 1, &it->bytes_ref) == napi_ok;
      it->bytes = p;
    } else if (ok) ok = (it->src = absync_arg_string(env, v)) != NULL;
    size_t len = strlen(job->parent) + strlen(it->final) + 2;
    if (ok && (job->where[i] = malloc(len))) snprintf(job->where[i], len, "%s%s%s", job->parent, job->parent[0] ? "/" : "", it->final);
  }
  for (uint32_t i = 0; tmps && finals && i < n; i++) {
    free(tmps[i]);
    free(finals[i]);
  }
  free(tmps);
  free(finals);
  free(kinds);
  free(nums);
  if (!ok) {
    if (job->items && job->res && job->where) free_job(env, job);
    napi_throw_type_error(env, NULL, "copy: bad arguments");
    return NULL;
  }
  return absync_queue(env, "absync.copy", execute, complete, job, &job->work, &job->deferred);
}
