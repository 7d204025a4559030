/* What the addon's parts share: errno names as Node spells them, and opening a destination folder safely. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif
#include "common.h"

const char *absync_errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EIO: return "EIO";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EOVERFLOW: return "EOVERFLOW";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case ESTALE: return "ESTALE";
    case EBADF: return "EBADF";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EROFS: return "EROFS";
    case EEXIST: return "EEXIST";
    case EISDIR: return "EISDIR";
    case EXDEV: return "EXDEV";
    case EFBIG: return "EFBIG";
    case EINTR: return "EINTR";
    default: return "EUNKNOWN";
  }
}

/* The folder `rel` below `rootfd`, opened without following a symlink anywhere on the way. */
int absync_open_beneath(int rootfd, const char *rel) {
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


struct timespec absync_ms_to_timespec(double ms) { return absync_us_to_timespec((int64_t)llround(ms * 1000.0)); }

struct timespec absync_us_to_timespec(int64_t us) {
  int64_t sec = us / 1000000, rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    sec -= 1;
  }
  struct timespec t = {.tv_sec = (time_t)sec, .tv_nsec = (long)(rem * 1000)};
  return t;
}

char *absync_arg_string(napi_env env, napi_value v) {
  size_t n;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return NULL;
  char *s = malloc(n + 1);
  if (s) napi_get_value_string_utf8(env, v, s, n + 1, &n);
  return s;
}

napi_value absync_queue(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete,
                        void *data, napi_async_work *work, napi_deferred *deferred) {
  napi_value promise, resource_name;
  napi_create_promise(env, deferred, &promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  napi_create_async_work(env, NULL, resource_name, execute, complete, data, work);
  napi_queue_async_work(env, *work);
  return promise;
}

void absync_reject(napi_env env, napi_deferred deferred, const char *message) {
  napi_value msg, err;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_reject_deferred(env, deferred, err);
}

void absync_settle_batch(napi_env env, napi_deferred deferred, napi_status status, void *job, uint32_t n, const AbsyncBatchView *view) {
  if (status != napi_ok) {
    absync_reject(env, deferred, view->cancelled);
    return;
  }
  napi_value result, ab, results, errors;
  void *p;
  napi_create_object(env, &result);
  napi_create_arraybuffer(env, n * sizeof(int32_t), &p, &ab);
  napi_create_typedarray(env, napi_int32_array, n, ab, 0, &results);
  napi_create_array_with_length(env, n, &errors);
  for (uint32_t i = 0; i < n; i++) {
    int r = view->result(job, i);
    ((int32_t *)p)[i] = r;
    if (r != view->error_result) continue;
    char buf[4400];
    view->error_text(job, i, buf, sizeof buf);
    napi_value v;
    napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, errors, i, v);
  }
  napi_set_named_property(env, result, "results", results);
  napi_set_named_property(env, result, "errors", errors);
  napi_resolve_deferred(env, deferred, result);
}
