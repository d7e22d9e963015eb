/*
 * syscall_floor N: the syscalls fdrestore makes for the synthetic table of
 * scripts/bench/synthetic.ts (per 4 fds: /dev/null opened through an O_PATH
 * probe, a dup of it, both ends of a pipe), then the child placing them at
 * their targets, in C: no runtime, no model. Prints microseconds per fd, the
 * floor of "µs per fd above start-up" on this machine.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3000;
  int *src = calloc(n, sizeof(int));
  double t0 = now_us();
  for (int fd = 0; fd < n; fd++) {
    char path[64];
    struct stat st;
    switch (fd % 4) {
    case 0: { /* probe, check its type, reopen the same inode */
      int probe = open("/dev/null", O_PATH | O_CLOEXEC);
      fstat(probe, &st);
      snprintf(path, sizeof path, "/proc/self/fd/%d", probe);
      src[fd] = open(path, O_RDWR | O_CLOEXEC);
      close(probe);
      fstat(src[fd], &st);
      break;
    }
    case 1: /* a dup of the previous fd: the child dups it, nothing opens */
      src[fd] = src[fd - 1];
      break;
    case 2: {
      int p[2];
      pipe2(p, O_CLOEXEC);
      src[fd] = p[0];
      src[fd + 1] = p[1];
      fcntl(p[0], F_SETFL, 0);
      fcntl(p[1], F_SETFL, 0);
      fd++;
      break;
    }
    }
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd < n; fd++) posix_spawn_file_actions_adddup2(&fa, src[fd], fd + 3);
  posix_spawn_file_actions_addclosefrom_np(&fa, n + 3);
  pid_t pid;
  char *args[] = {"/bin/true", NULL};
  posix_spawn(&pid, "/bin/true", &fa, NULL, args, environ);
  int status;
  waitpid(pid, &status, 0);
  double us = now_us() - t0;
  printf("%.1f\n", us / n);
  return 0;
}
