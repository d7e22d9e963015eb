/*
 * tree50: the benchmark tree of fdrestore's `deno task bench`: a root and 49
 * children (a two-level tree: 7 children with 6 children each), every task
 * holding 100 fds: /dev/null opens, dups, and pipes shared with its parent.
 * Writes its pid on fd 500 once it is set up, then sleeps until dumped.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void must(int ok)
{
	if (!ok)
		_exit(1);
}

/* Fills fds 3..102 of this task (fds 0..2 are the starter's). */
static void fill(int up_read, int up_write)
{
	for (int fd = 3; fd < 103; fd++) {
		int got;
		if (fd == 3 && up_read >= 0)
			got = dup2(up_read, fd);
		else if (fd == 4 && up_write >= 0)
			got = dup2(up_write, fd);
		else if (fd % 3 == 0)
			got = dup2(fd - 1, fd);
		else {
			int n = open("/dev/null", fd % 2 ? O_RDONLY : O_WRONLY);
			got = dup2(n, fd);
			if (n != fd)
				close(n);
		}
		must(got == fd);
	}
}

int main(void)
{
	int ready = 500, p[2];
	must(fcntl(ready, F_GETFD) >= 0);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != ready)
			close(fd);
	for (int i = 0; i < 7; i++) {
		must(pipe2(p, 0) == 0 && dup2(p[0], 200) == 200 && dup2(p[1], 201) == 201);
		close(p[0]);
		close(p[1]);
		if (fork() == 0) {
			for (int j = 0; j < 6; j++) {
				int q[2];
				must(pipe2(q, 0) == 0 && dup2(q[0], 202) == 202 && dup2(q[1], 203) == 203);
				close(q[0]);
				close(q[1]);
				if (fork() == 0) {
					fill(202, 203);
					for (int fd = 103; fd < 1024; fd++)
						if (fd != ready)
							close(fd);
					close(ready);
					for (;;)
						pause();
				}
				close(202);
				close(203);
			}
			fill(200, 201);
			for (int fd = 103; fd < 1024; fd++)
				if (fd != ready)
					close(fd);
			close(ready);
			for (;;)
				pause();
		}
		close(200);
		close(201);
	}
	fill(-1, -1);
	dprintf(ready, "%d\n", (int)getpid());
	close(ready);
	for (;;)
		pause();
}
