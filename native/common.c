/* What the addon's parts share: errno names, folder-relative opens that never follow a link, checks and renames. */
#define _GNU_SOURCE
#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

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
    case ENOTEMPTY: return "ENOTEMPTY";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ETXTBSY: return "ETXTBSY";
    default: return "EUNKNOWN";
  }
}

int absync_unsafe_errno(int e) { return e == ELOOP || e == ENOTDIR || e == EXDEV; }

#ifdef SYS_openat2
/* openat2 beneath `rootfd` with no symlink anywhere; -2 (errno kept) when the kernel or a seccomp filter lacks it. */
static int open2(int rootfd, const char *rel, int flags) {
  struct open_how how = {.flags = (uint64_t)flags, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH};
  int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != EAGAIN)) return fd;
  return -2;
}
#endif

/* One component at a time, each opened with O_NOFOLLOW relative to the one before (kernels before 5.6). */
static int walk(int rootfd, const char *rel, int create) {
  char buf[PATH_MAX];
  size_t n = strlen(rel);
  if (n >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, rel, n + 1);
  int cur = dup(rootfd);
  char *part = buf;
  while (cur >= 0 && part && *part) {
    char *slash = strchr(part, '/');
    if (slash) *slash = 0;
    if (strcmp(part, "..") == 0 || strcmp(part, ".") == 0) {
      close(cur);
      errno = EXDEV;
      return -1;
    }
    if (create && mkdirat(cur, part, 0700) != 0 && errno != EEXIST) {
      int e = errno;
      close(cur);
      errno = e;
      return -1;
    }
    int next = openat(cur, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(cur);
    errno = e;
    cur = next;
    part = slash ? slash + 1 : NULL;
  }
  return cur;
}

int absync_open_beneath(int rootfd, const char *rel) {
  if (rel[0] == 0) return fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
#ifdef SYS_openat2
  int fd = open2(rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd != -2) return fd;
#endif
  return walk(rootfd, rel, 0);
}

int absync_mkdirs_beneath(int rootfd, const char *rel) {
  int fd = absync_open_beneath(rootfd, rel);
  if (fd >= 0 || errno != ENOENT) return fd;
  return walk(rootfd, rel, 1);
}

int absync_open_file_beneath(int rootfd, const char *rel) {
  const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
#ifdef SYS_openat2
  int fd2 = open2(rootfd, rel, flags);
  if (fd2 != -2) return fd2;
#endif
  const char *slash = strrchr(rel, '/');
  if (!slash) return openat(rootfd, rel, flags);
  char parent[PATH_MAX];
  size_t n = (size_t)(slash - rel);
  if (n >= sizeof parent) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(parent, rel, n);
  parent[n] = 0;
  int dfd = absync_open_beneath(rootfd, parent);
  if (dfd < 0) return -1;
  int fd = openat(dfd, slash + 1, flags);
  int e = errno;
  close(dfd);
  errno = e;
  return fd;
}

int absync_kind_of(mode_t mode) {
  if (S_ISREG(mode)) return K_FILE;
  if (S_ISDIR(mode)) return K_DIR;
  if (S_ISLNK(mode)) return K_SYMLINK;
  return K_SPECIAL;
}

int64_t absync_micros(const struct timespec *t) { return ((int64_t)t->tv_sec * 1000000000LL + t->tv_nsec) / 1000; }

int absync_same_state(const struct stat *a, const struct stat *b) {
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int absync_matches(const struct stat *st, const Expect *e) {
  if (absync_kind_of(st->st_mode) != e->kind) return 0;
  if (e->ino >= 0 && (double)st->st_ino != e->ino) return 0;
  if (e->size >= 0 && e->kind == K_FILE && (double)st->st_size != e->size) return 0;
  if (!isnan(e->mtime_us) && e->kind == K_FILE && (double)absync_micros(&st->st_mtim) != e->mtime_us) return 0;
  return 1;
}

int absync_check(int dfd, const char *name, const Expect *e) {
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT || errno == ENOTDIR ? R_GONE : R_ERROR;
  return absync_matches(&st, e) ? R_DONE : R_CHANGED;
}

int absync_rename_noreplace(int ofd, const char *oname, int nfd, const char *nname) {
  if (syscall(SYS_renameat2, ofd, oname, nfd, nname, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  /* A file system without the flag: look first (a window of one system call, as any path-based tool has). */
  struct stat st;
  if (fstatat(nfd, nname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    errno = EEXIST;
    return -1;
  }
  return renameat(ofd, oname, nfd, nname);
}

int absync_rename_exchange(int ofd, const char *oname, int nfd, const char *nname) {
  return (int)syscall(SYS_renameat2, ofd, oname, nfd, nname, RENAME_EXCHANGE);
}

/* A fresh engine-made name (reserved.ts): ".absync-tmp." and 20 random characters of [a-z2-7]. */
static void temp_name(char out[33]) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  unsigned char r[20];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
    for (size_t i = 0; i < sizeof r; i++) r[i] = (unsigned char)rand();
  }
  memcpy(out, ".absync-tmp.", 12);
  for (int i = 0; i < 20; i++) out[12 + i] = alphabet[r[i] & 31];
  out[32] = 0;
}

int absync_is_temp_name(const char *name, size_t n) {
  if (n != 32 || memcmp(name, ".absync-tmp.", 12) != 0) return 0;
  for (size_t i = 12; i < 32; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return 0;
  }
  return 1;
}

/* Copies a file or link of `dfd` into `bfd` under `bname` through a temporary name (another file system). */
static int copy_across(int dfd, const char *name, int bfd, const char *bname) {
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return -1;
  char tmp[33];
  temp_name(tmp);
  struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_NOW}, st.st_mtim};
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX + 1];
    ssize_t n = readlinkat(dfd, name, target, PATH_MAX);
    if (n < 0) return -1;
    target[n] = 0;
    if (symlinkat(target, bfd, tmp) != 0) return -1;
    utimensat(bfd, tmp, times, AT_SYMLINK_NOFOLLOW);
  } else if (S_ISREG(st.st_mode)) {
    int in = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0) return -1;
    int out = openat(bfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
      int e = errno;
      close(in);
      errno = e;
      return -1;
    }
    int r = absync_copy_fd(in, out, st.st_size);
    if (r == 0 && (fchmod(out, st.st_mode & 07777) != 0 || futimens(out, times) != 0)) r = -1;
    int e = errno;
    close(in);
    if (close(out) != 0 && r == 0) {
      e = errno;
      r = -1;
    }
    if (r != 0) {
      unlinkat(bfd, tmp, 0);
      errno = e;
      return -1;
    }
  } else {
    errno = EINVAL;
    return -1;
  }
  if (renameat(bfd, tmp, bfd, bname) != 0) {
    int e = errno;
    unlinkat(bfd, tmp, 0);
    errno = e;
    return -1;
  }
  return unlinkat(dfd, name, 0);
}

int absync_retire(int dfd, const char *name, int backupfd, const char *parent, const char *bname) {
  int bfd = absync_mkdirs_beneath(backupfd, parent);
  if (bfd < 0) return -1;
  int r = renameat(dfd, name, bfd, bname);
  if (r != 0 && errno == EXDEV) r = copy_across(dfd, name, bfd, bname);
  int e = errno;
  close(bfd);
  errno = e;
  return r;
}

int absync_copy_fd(int in, int out, off_t size) {
  if (ioctl(out, FICLONE, in) == 0) return 0;
  off_t done = 0;
  int use_range = 1;
  while (done < size) {
    ssize_t n;
    if (use_range) {
      n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF)) {
        use_range = 0;
        continue;
      }
    } else {
      char buf[65536];
      n = read(in, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      for (ssize_t w = 0; n > 0 && w < n;) {
        ssize_t k = write(out, buf + w, (size_t)(n - w));
        if (k < 0) return -1;
        w += k;
      }
    }
    if (n < 0) return -1;
    /* The source shrank (or is a pseudo-file that reports a size it does not have): the check after the copy sees it. */
    if (n == 0) break;
    done += n;
  }
  return 0;
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

int64_t absync_arg_length(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) == napi_ok) return n;
  size_t len;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, arr, &type, &len, NULL, NULL, NULL) == napi_ok) return (int64_t)len;
  return -1;
}

int absync_arg_strings(napi_env env, napi_value arr, uint32_t n, char **out) {
  if (absync_arg_length(env, arr) != (int64_t)n) return 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (napi_get_element(env, arr, i, &v) != napi_ok || !(out[i] = absync_arg_string(env, v))) return 0;
  }
  return 1;
}

int absync_arg_numbers(napi_env env, napi_value arr, uint32_t n, double *out) {
  if (absync_arg_length(env, arr) != (int64_t)n) return 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_double(env, v, &out[i]) != napi_ok) return 0;
  }
  return 1;
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

int absync_fail(ItemResult *r, const char *syscall) {
  r->result = R_ERROR;
  r->err = errno;
  r->syscall = syscall;
  return R_ERROR;
}

void absync_reject(napi_env env, napi_deferred deferred, const char *message) {
  napi_value msg, err;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_reject_deferred(env, deferred, err);
}

void absync_settle(napi_env env, napi_deferred deferred, napi_status status, const ItemResult *items, char *const *where, uint32_t n,
                   const char *cancelled) {
  if (status != napi_ok) {
    absync_reject(env, deferred, cancelled);
    return;
  }
  napi_value result, ab, results, errors;
  void *p;
  napi_create_object(env, &result);
  napi_create_arraybuffer(env, n * sizeof(int32_t), &p, &ab);
  napi_create_typedarray(env, napi_int32_array, n, ab, 0, &results);
  napi_create_array_with_length(env, n, &errors);
  for (uint32_t i = 0; i < n; i++) {
    ((int32_t *)p)[i] = items[i].result;
    if (items[i].result != R_ERROR) continue;
    char buf[PATH_MAX + 256];
    const char *code = absync_errno_code(items[i].err);
    snprintf(buf, sizeof buf, "%s\n%s: %s, %s '%s'", code, code, strerror(items[i].err), items[i].syscall ? items[i].syscall : "op",
             where && where[i] ? where[i] : "");
    napi_value v;
    napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, errors, i, v);
  }
  napi_set_named_property(env, result, "results", results);
  napi_set_named_property(env, result, "errors", errors);
  napi_resolve_deferred(env, deferred, result);
}

int absync_batch_parent(int rootfd, const char *parent, ItemResult *items, uint32_t n) {
  int dfd = absync_open_beneath(rootfd, parent);
  if (dfd >= 0) return dfd;
  int e = errno;
  for (uint32_t i = 0; i < n; i++) {
    if (absync_unsafe_errno(e)) items[i].result = R_UNSAFE;
    else if (e == ENOENT) items[i].result = R_GONE;
    else {
      errno = e;
      absync_fail(&items[i], "open");
    }
  }
  return -1;
}

Expect absync_expect_at(const double *nums, uint32_t at) {
  Expect e = {.kind = (int)nums[at], .size = nums[at + 1], .mtime_us = nums[at + 2], .ino = nums[at + 3]};
  if (isnan(nums[at])) e.kind = -1;
  return e;
}
