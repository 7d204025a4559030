/*
 * Racers for the adversarial suite, built by the tests with `cc`. Each runs until SIGTERM (on-entry: until its one
 * action is done), then exits 0.
 *
 *   racer swap A B [A2 B2 ...] [--after-usr1]
 *                              exchange each A with its B with renameat2(RENAME_EXCHANGE), pair after pair, in a tight
 *                              loop (from SIGUSR1 on, with --after-usr1); on SIGTERM each pair stops after an even
 *                              number of successful exchanges (trying a while longer if one fails), so all are back
 *   racer rewrite FILE [PAUSE_US]
 *                              rewrite FILE in place at the same size, alternately all 'A' and all 'B' bytes, put its
 *                              mtime back with futimens after each pass, then pause (so that the mtime looks
 *                              unchanged most of the time); on SIGTERM the pass in progress ends
 *   racer on-entry DIR swap A B 
 *   racer on-entry DIR truncate FILE
 *                              poll DIR until an entry other than .absync.lock appears (the run has started writing
 *                              there), then exchange A and B once, or truncate FILE to 0
 *
 * Prints "ready\n" on stdout once it is racing. It dies with the test that started it (PR_SET_PDEATHSIG), and after
 * two minutes whatever happens, so a failed test never leaves a racer spinning.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop, go;
static void on_term(int sig) { (void)sig; stop = 1; }
static void on_usr1(int sig) { (void)sig; go = 1; }

static int exchange(const char *a, const char *b) {
  return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static void ready(void) {
  fputs("ready\n", stdout);
  fflush(stdout);
}

static int do_swap(char **pairs, int n, int after_usr1) {
  static unsigned long done[256];
  if (n % 2 != 0 || n / 2 > 256) return 2;
  ready();
  while (after_usr1 && !go && !stop) usleep(100);
  while (!stop) {
    for (int i = 0; i < n / 2; i++)
      if (exchange(pairs[2 * i], pairs[2 * i + 1]) == 0) done[i]++;
  }
  for (int i = 0; i < n / 2; i++)
    for (int late = 0; done[i] % 2 == 1 && late < 100000; late++)
      if (exchange(pairs[2 * i], pairs[2 * i + 1]) == 0) done[i]++;
  return 0;
}

static int do_rewrite(const char *path, long pause_us) {
  int fd = open(path, O_WRONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return perror(path), 1;
  static char buf[1 << 16];
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  ready();
  for (int pass = 1; !stop; pass++) {
    memset(buf, pass % 2 ? 'B' : 'A', sizeof buf);
    for (off_t off = 0; off < st.st_size;) {
      size_t n = st.st_size - off < (off_t)sizeof buf ? (size_t)(st.st_size - off) : sizeof buf;
      ssize_t w = pwrite(fd, buf, n, off);
      if (w <= 0) return perror("pwrite"), 1;
      off += w;
    }
    if (futimens(fd, times) != 0) return perror("futimens"), 1;
    if (pause_us > 0) usleep((useconds_t)pause_us);
  }
  return close(fd), 0;
}

static int has_entry(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  int found = 0;
  while (!found && (e = readdir(d)))
    found = strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, ".absync.lock");
  closedir(d);
  return found;
}

static int do_on_entry(const char *dir, char **action, int n) {
  ready();
  while (!stop && !has_entry(dir)) {
  }
  if (stop) return 0;
  if (n == 3 && !strcmp(action[0], "swap")) {
    if (exchange(action[1], action[2]) != 0) return perror("renameat2"), 1;
  } else if (n == 2 && !strcmp(action[0], "truncate")) {
    if (truncate(action[1], 0) != 0) return perror(action[1]), 1;
  } else return 2;
  fputs("done\n", stdout);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  alarm(120);
  signal(SIGTERM, on_term);
  signal(SIGUSR1, on_usr1);
  if (argc >= 4 && !strcmp(argv[1], "swap")) {
    int after_usr1 = !strcmp(argv[argc - 1], "--after-usr1");
    return do_swap(argv + 2, argc - 2 - after_usr1, after_usr1);
  }
  if ((argc == 3 || argc == 4) && !strcmp(argv[1], "rewrite")) return do_rewrite(argv[2], argc == 4 ? atol(argv[3]) : 0);
  if (argc >= 5 && !strcmp(argv[1], "on-entry")) return do_on_entry(argv[2], argv + 3, argc - 3);
  fprintf(stderr, "usage: racer swap A B [A2 B2 ...] [--after-usr1] | rewrite FILE [PAUSE_US] | on-entry DIR swap A B | on-entry DIR truncate FILE\n");
  return 2;
}
