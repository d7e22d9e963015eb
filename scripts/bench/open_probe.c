/*
 * open_probe FILE [N]: what fdrestore's safe open of a regular file costs
 * against a plain open(2), in C. fdrestore opens FILE O_PATH, checks its type
 * with fstat (a FIFO would block an open, a device would act on it), then
 * opens that same inode through /proc/self/fd. Prints both, µs per file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *file = argv[1];
  int n = argc > 2 ? atoi(argv[2]) : 2000;
  int *fds = calloc(n, sizeof(int));
  double t = now_us();
  for (int i = 0; i < n; i++) fds[i] = open(file, O_RDONLY | O_CLOEXEC);
  double plain = (now_us() - t) / n;
  for (int i = 0; i < n; i++) close(fds[i]);
  t = now_us();
  for (int i = 0; i < n; i++) {
    char path[64];
    struct stat st;
    int probe = open(file, O_PATH | O_CLOEXEC);
    fstat(probe, &st);
    snprintf(path, sizeof path, "/proc/self/fd/%d", probe);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    close(probe);
  }
  double probed = (now_us() - t) / n;
  for (int i = 0; i < n; i++) close(fds[i]);
  printf("%.1f %.1f\n", plain, probed);
  return 0;
}
