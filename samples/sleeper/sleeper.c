/*
 * sleeper: the demo task of fdrestore's sample checkpoint.
 *
 * It sets up a small but varied fd table, writes its pid to fd 9 and closes
 * it (the starter's ready signal), and sleeps until it is checkpointed:
 *   0      /dev/null (read)            1, 2  data/out.log (append, shared)
 *   3      data/notes.txt at offset 6  4, 5  a pipe holding "queued bytes\n"
 *   6      a dup of the pipe's read end (close-on-exec)
 *   7      an eventfd with count 3     8     one end of a unix stream pair
 *   10     the other end, with "hello peer\n" waiting in it
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static void must(int ok)
{
	if (!ok)
		_exit(1);
}

/* Put fd at target and close the original, so no stray fd is left. */
static void place(int fd, int target)
{
	must(fd >= 0 && dup2(fd, target) == target);
	if (fd != target)
		close(fd);
}

int main(void)
{
	int p[2], sv[2];

	place(open("/dev/null", O_RDONLY), 0);
	place(open("data/out.log", O_WRONLY | O_APPEND | O_CREAT, 0644), 1);
	must(dup2(1, 2) == 2);
	place(open("data/notes.txt", O_RDONLY), 3);
	must(lseek(3, 6, SEEK_SET) == 6);
	must(pipe(p) == 0);
	place(p[0], 20);
	place(p[1], 5);
	place(20, 4);
	must(write(5, "queued bytes\n", 13) == 13);
	must(fcntl(4, F_DUPFD_CLOEXEC, 6) == 6);
	place(eventfd(3, EFD_NONBLOCK), 7);
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	place(sv[0], 21);
	place(sv[1], 10);
	place(21, 8);
	must(write(8, "hello peer\n", 11) == 11);
	for (int fd = 11; fd < 1024; fd++)
		close(fd); /* whatever the starter leaked */
	dprintf(9, "%d\n", (int)getpid());
	close(9); /* the ready signal */
	for (;;)
		pause();
}
