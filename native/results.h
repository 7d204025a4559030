/*
 * What the addon tells JavaScript, in one place on this side of the boundary: per-item results of a batch, entry
 * kinds, and the expectation a step checks before it replaces or removes anything. addon.c exports the result codes
 * by name (`results`) and src/engine/backends/local-native/results.ts decodes them by name, so the two sides cannot
 * drift apart.
 */
#ifndef ABSYNC_RESULTS_H
#define ABSYNC_RESULTS_H

/* Per-item results of every batch. */
enum {
  R_DONE = 0,
  R_GONE = 1,    /* the entry (or the source) is gone, or is no longer the kind it was */
  R_CHANGED = 2, /* the destination entry is not what the scan saw (or something appeared): nothing replaced */
  R_UNSAFE = 3,  /* a folder on the way is a symlink or not a folder: nothing done */
  R_ERROR = 4,   /* a system call failed: the item's error text says which, with the errno code */
  R_TORN = 5     /* the source kept changing while it was copied (3 tries) */
};

/* Entry kinds: the first five are pack.ts's KINDS order; then the scanner's own rows. */
enum { K_FILE, K_DIR, K_SYMLINK, K_SPECIAL, K_PROBLEM, K_LEFTOVER, K_BADNAME, K_GONE, K_RESERVED };

#endif
