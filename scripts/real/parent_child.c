/*
 * parent_child.c: a parent and its child joined by a pipe (the parent writes
 * at fd 25, the child reads at fd 27) and a unix socket pair (fds 26 and
 * 28); the child alone also holds child-only.txt. Made for --no-children:
 * dump_parent_child.sh dumps it with criu. The child prints "ready" once
 * everything is open.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int p[2], s[2];

	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		return 1;
	if (dup2(p[1], 25) < 0 || dup2(s[0], 26) < 0 || dup2(p[0], 27) < 0 || dup2(s[1], 28) < 0)
		return 1;
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
	if (fork() == 0) {
		close(25);
		close(26);
		if (open("child-only.txt", O_RDONLY) < 0 || write(1, "ready\n", 6) != 6)
			return 1;
		for (;;)
			pause();
	}
	close(27);
	close(28);
	for (;;)
		pause();
}
