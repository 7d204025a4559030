/* The scanner's data, shared by scan.c (one tree) and pair.c (two trees, identical pairs left out). */
#ifndef ABSYNC_SCAN_H
#define ABSYNC_SCAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common.h"


typedef struct {
  char *data;
  size_t len, cap;
} Bytes;

typedef struct {
  uint8_t kind;
  uint32_t path_off, path_len;
  int32_t text; /* index into texts, or -1 */
  double num[4]; /* size, mtimeMs, mode, ino */
} Row;

typedef struct {
  /* in */
  char *root;
  char *lock_name;
  int is_destination;
  /* out */
  Row *rows;
  size_t n_rows, cap_rows;
  Bytes paths; /* every relative path, back to back */
  Bytes texts; /* link targets, special types, problem codes, each NUL-terminated */
  uint32_t *text_off;
  size_t n_texts, cap_texts;
  int root_errno;
  int failed_alloc;
  /* js */
  napi_async_work work;
  napi_deferred deferred;
} Job;

void absync_walk(Job *j);
void absync_free_scan(Job *j);
Job *absync_new_scan(napi_env env, napi_value root, bool is_destination, napi_value lock_name);
napi_value absync_scan_error(napi_env env, Job *j);
napi_value absync_columns(napi_env env, Job *j, const uint8_t *skip);

#endif
