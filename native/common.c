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


struct timespec absync_ms_to_timespec(double ms) {
  int64_t us = (int64_t)llround(ms * 1000.0);
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
