/*
 * Content digests for the planner (rename confirmation, --checksum), a batch of files per trip to a libuv pool
 * thread, through the OpenSSL that Node itself carries (EVP: md5, sha1, sha256). Node's path costs per file an
 * open, an fstat, reads and a close from JavaScript plus a Hash object; confirming a renamed folder of 6,900 files
 * (13,800 hashed, 110 MB) spent ~0.5 s there, mostly in those calls and garbage collection. Same digests as
 * src/engine/hash.ts (hex), which stays the path for vinyl contents and builds without the addon.
 *
 * Files are opened below their tree's root without following any link, with O_NONBLOCK (a FIFO put where a file was
 * never blocks), and hashed only if they are regular files.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

typedef struct {
  int rootfd; /* -1: the paths are absolute (files outside any tree) */
  char **paths;
  char (*hex)[EVP_MAX_MD_SIZE * 2 + 1]; /* "" where the file could not be read */
  uint32_t n;
  char *algorithm;
  napi_async_work work;
  napi_deferred deferred;
} HashJob;

static int hash_file(const EVP_MD *md, int rootfd, const char *path, unsigned char *buf, size_t size, char *hex) {
  int fd = rootfd < 0 ? open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) : absync_open_file_beneath(rootfd, path);
  if (fd < 0) return 0;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return 0;
  }
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL);
  for (ssize_t r; ok && (r = read(fd, buf, size)) != 0;) {
    if (r < 0) {
      if (errno == EINTR) continue;
      ok = 0;
    } else ok = EVP_DigestUpdate(ctx, buf, (size_t)r);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  close(fd);
  if (!ok) return 0;
  static const char digits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[2 * len] = 0;
  return 1;
}

static void execute(napi_env env, void *data) {
  (void)env;
  HashJob *job = (HashJob *)data;
  const EVP_MD *md = EVP_get_digestbyname(job->algorithm);
  size_t size = 1 << 20;
  unsigned char *buf = malloc(size);
  for (uint32_t i = 0; i < job->n; i++) {
    job->hex[i][0] = 0;
    if (md && buf) hash_file(md, job->rootfd, job->paths[i], buf, size, job->hex[i]);
  }
  free(buf);
}

static void free_job(HashJob *job) {
  for (uint32_t i = 0; i < job->n; i++) free(job->paths[i]);
  free(job->paths);
  free(job->hex);
  free(job->algorithm);
  free(job);
}

/* Resolves with (string | undefined)[]: the hex digest of each file, undefined where it could not be read. */
static void complete(napi_env env, napi_status status, void *data) {
  HashJob *job = (HashJob *)data;
  if (status != napi_ok) {
    absync_reject(env, job->deferred, "hashing cancelled");
  } else {
    napi_value out;
    napi_create_array_with_length(env, job->n, &out);
    for (uint32_t i = 0; i < job->n; i++) {
      if (job->hex[i][0] == 0) continue;
      napi_value v;
      napi_create_string_utf8(env, job->hex[i], NAPI_AUTO_LENGTH, &v);
      napi_set_element(env, out, i, v);
    }
    napi_resolve_deferred(env, job->deferred, out);
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/* hash(rootfd (-1: absolute paths), paths: string[], algorithm: 'md5' | 'sha1' | 'sha256'): Promise<(string | undefined)[]> */
napi_value absync_hash(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t n = 0;
  int32_t rootfd = -1;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &rootfd) != napi_ok || napi_get_array_length(env, argv[1], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "hash(rootfd, paths[], algorithm)");
    return NULL;
  }
  HashJob *job = calloc(1, sizeof(HashJob));
  if (!job || !(job->paths = calloc(n ? n : 1, sizeof(char *))) || !(job->hex = calloc(n ? n : 1, sizeof *job->hex))) {
    if (job) free(job->paths);
    free(job);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->n = n;
  job->rootfd = rootfd;
  int ok = (job->algorithm = absync_arg_string(env, argv[2])) != NULL;
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[1], i, &v);
    ok = (job->paths[i] = absync_arg_string(env, v)) != NULL;
  }
  if (!ok) {
    free_job(job);
    napi_throw_type_error(env, NULL, "hash: paths and algorithm must be strings");
    return NULL;
  }
  if (!EVP_get_digestbyname(job->algorithm)) {
    free_job(job);
    napi_throw_type_error(env, NULL, "hash: unknown algorithm");
    return NULL;
  }
  return absync_queue(env, "absync.hash", execute, complete, job, &job->work, &job->deferred);
}
