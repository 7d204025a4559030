/*
 * Whole small source files read into buffers, the batches of several folders per trip to a libuv pool thread: what a
 * remote write needs of each file (its bytes, known to be one version of it) without a trip per open, read, fstat and
 * close on the main thread (nor a trip per folder: each wakes a pool thread, which on two cores takes the main
 * thread's). Each folder is opened below the source root without following a symlink (absync_open_beneath); then for
 * each of its files:
 *
 *   1. open it read-only with O_NOFOLLOW | O_NONBLOCK (a FIFO never blocks, a link is never followed), fstat: a
 *      regular file, the scan's inode, size, mtime (to the microsecond) and mode, and not changed within the last
 *      `recent` nanoseconds (it may still be being written);
 *   2. read exactly its size into the buffer at its offset;
 *   3. fstat again (inode, size, mtime, ctime as before: a rewrite in place that puts the mtime back still moves the
 *      ctime), and the name must still be that file.
 *
 * Once all of a folder's are read, its path must still lead to the folder they were read from. A file that fails any of
 * this is R_TORN (or R_GONE, R_ERROR) and is left to the caller's one-file path, which waits, retries and reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

typedef struct {
  char *name;
  double ino, size, mtime_us, mode, offset;
  /* Its folder's index in parents, and of that folder's buffer in outs. */
  uint32_t batch;
} ReadItem;

typedef struct {
  int rootfd;
  /* One folder and one buffer per batch. */
  char **parents;
  uint8_t **outs;
  size_t *out_lens;
  uint32_t nbatches;
  napi_ref outs_ref;
  ReadItem *items;
  ItemResult *res;
  uint32_t n;
  int64_t recent_ns;
  napi_async_work work;
  napi_deferred deferred;
} ReadJob;

static int changed_lately(const struct stat *st, int64_t recent_ns) {
  struct timespec now;
  if (recent_ns <= 0 || clock_gettime(CLOCK_REALTIME, &now) != 0) return 0;
  int64_t c = (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
  int64_t n = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
  return c > n - recent_ns && c < n + recent_ns;
}

static int read_one(const ReadItem *it, ItemResult *r, int dfd, uint8_t *out, size_t out_len, int64_t recent_ns) {
  if (it->offset < 0 || it->size < 0 || (size_t)it->offset + (size_t)it->size > out_len) return R_TORN;
  int fd = openat(dfd, it->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? R_GONE : absync_fail(r, "open");
  struct stat before, after, named;
  int res = R_DONE;
  if (fstat(fd, &before) != 0 || !S_ISREG(before.st_mode) || (it->ino >= 0 && (double)before.st_ino != it->ino)) res = R_GONE;
  else if ((double)before.st_size != it->size || (double)absync_micros(&before.st_mtim) != it->mtime_us ||
           (it->mode >= 0 && (double)(before.st_mode & 07777) != it->mode) || changed_lately(&before, recent_ns))
    res = R_TORN;
  uint8_t *p = out + (size_t)it->offset;
  for (size_t got = 0, want = (size_t)it->size; res == R_DONE && got < want;) {
    ssize_t k = pread(fd, p + got, want - got, (off_t)got);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) res = absync_fail(r, "read");
    else if (k == 0) res = R_TORN;
    else got += (size_t)k;
  }
  if (res == R_DONE && (fstat(fd, &after) != 0 || !absync_same_state(&before, &after) ||
                        fstatat(dfd, it->name, &named, AT_SYMLINK_NOFOLLOW) != 0 || named.st_ino != before.st_ino || named.st_dev != before.st_dev))
    res = R_TORN;
  close(fd);
  return res;
}

/* The files [from, to) of one folder. */
static void read_folder(ReadJob *job, uint32_t from, uint32_t to) {
  const char *parent = job->parents[job->items[from].batch];
  int dfd = absync_batch_parent(job->rootfd, parent, job->res + from, to - from);
  if (dfd < 0) return;
  for (uint32_t i = from; i < to; i++) {
    const ReadItem *it = &job->items[i];
    job->res[i].result = read_one(it, &job->res[i], dfd, job->outs[it->batch], job->out_lens[it->batch], job->recent_ns);
  }
  /* The folder's path still leads to the folder the files were read from (not one moved there since). */
  struct stat was, now;
  int again = absync_open_beneath(job->rootfd, parent);
  int moved = again < 0 || fstat(dfd, &was) != 0 || fstat(again, &now) != 0 || was.st_ino != now.st_ino || was.st_dev != now.st_dev;
  if (again >= 0) close(again);
  close(dfd);
  for (uint32_t i = from; moved && i < to; i++)
    if (job->res[i].result == R_DONE) job->res[i].result = R_TORN;
}

static void execute(napi_env env, void *data) {
  (void)env;
  ReadJob *job = (ReadJob *)data;
  for (uint32_t i = 0, j; i < job->n; i = j) {
    for (j = i + 1; j < job->n && job->items[j].batch == job->items[i].batch;) j++;
    read_folder(job, i, j);
  }
}

static void free_job(napi_env env, ReadJob *j) {
  for (uint32_t i = 0; j->items && i < j->n; i++) free(j->items[i].name);
  for (uint32_t i = 0; j->parents && i < j->nbatches; i++) free(j->parents[i]);
  if (j->outs_ref) napi_delete_reference(env, j->outs_ref);
  free(j->items);
  free(j->res);
  free(j->parents);
  free(j->outs);
  free(j->out_lens);
  free(j);
}

static void complete(napi_env env, napi_status status, void *data) {
  ReadJob *job = (ReadJob *)data;
  absync_settle(env, job->deferred, status, job->res, NULL, job->n, "readFiles cancelled");
  napi_delete_async_work(env, job->work);
  free_job(env, job);
}

/*
 * readFiles(rootfd, parents: string[], names: string[], numbers: number[] (6 per file: the scan's inode (-1: any),
 *           size, mtime in whole microseconds, mode bits (-1: any), offset in its batch's buffer, its batch), outs:
 *           Buffer[] (one per batch, as parents), recentNs): Promise<{ results: Int32Array, errors }>. A batch is
 * one folder's files, one after another (several folders' batches in one trip). Each file's bytes land in its
 * batch's buffer at its offset; only an R_DONE file's are one whole version of it.
 */
napi_value absync_read_files(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int64_t n64 = argc == 6 ? absync_arg_length(env, argv[2]) : -1;
  int64_t nb64 = argc == 6 ? absync_arg_length(env, argv[1]) : -1;
  int32_t rootfd = -1;
  double recent = 0;
  if (n64 < 0 || nb64 < 0 || absync_arg_length(env, argv[4]) != nb64 || napi_get_value_int32(env, argv[0], &rootfd) != napi_ok ||
      napi_get_value_double(env, argv[5], &recent) != napi_ok) {
    napi_throw_type_error(env, NULL, "readFiles(rootfd, parents[], names[], numbers[], outs[] (one per parent), recentNs)");
    return NULL;
  }
  uint32_t n = (uint32_t)n64, nb = (uint32_t)nb64;
  ReadJob *job = calloc(1, sizeof(ReadJob));
  if (!job) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->n = n;
  job->nbatches = nb;
  job->rootfd = rootfd;
  job->recent_ns = (int64_t)recent;
  job->items = calloc(n ? n : 1, sizeof(ReadItem));
  job->res = calloc(n ? n : 1, sizeof(ItemResult));
  job->parents = calloc(nb ? nb : 1, sizeof(char *));
  job->outs = calloc(nb ? nb : 1, sizeof(uint8_t *));
  job->out_lens = calloc(nb ? nb : 1, sizeof(size_t));
  double *nums = malloc((n ? n : 1) * 6 * sizeof(double));
  char **names = calloc(n ? n : 1, sizeof(char *));
  int ok = job->items && job->res && job->parents && job->outs && job->out_lens && nums && names && absync_arg_strings(env, argv[1], nb, job->parents) &&
           absync_arg_strings(env, argv[2], n, names) && absync_arg_numbers(env, argv[3], 6 * n, nums) &&
           napi_create_reference(env, argv[4], 1, &job->outs_ref) == napi_ok;
  for (uint32_t i = 0; ok && i < nb; i++) {
    napi_value b;
    void *data = NULL;
    ok = napi_get_element(env, argv[4], i, &b) == napi_ok && napi_get_buffer_info(env, b, &data, &job->out_lens[i]) == napi_ok;
    job->outs[i] = data;
  }
  for (uint32_t i = 0; ok && i < n; i++) {
    ReadItem *it = &job->items[i];
    const double *x = nums + 6 * i;
    it->name = names[i];
    names[i] = NULL;
    it->ino = x[0];
    it->size = x[1];
    it->mtime_us = x[2];
    it->mode = x[3];
    it->offset = x[4];
    ok = x[5] >= 0 && x[5] < nb;
    it->batch = ok ? (uint32_t)x[5] : 0;
  }
  for (uint32_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
  free(nums);
  if (!ok) {
    free_job(env, job);
    napi_throw_type_error(env, NULL, "readFiles: bad arguments");
    return NULL;
  }
  return absync_queue(env, "absync.readFiles", execute, complete, job, &job->work, &job->deferred);
}
