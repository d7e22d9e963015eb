/*
 * passcred_shim.c: preloaded into criu 4.1.1 for `criu dump` of inet sockets.
 *
 * criu 4.1.1 asks every socket for SO_PASSCRED and SO_PASSSEC. Linux 6.16 and
 * later answer EOPNOTSUPP for sockets that are not unix or netlink, and the
 * dump stops. Older kernels answered 0 (off) for an inet socket; this shim
 * gives that answer, and changes nothing else. Built at test time by lib.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int getsockopt(int fd, int level, int opt, void *value, socklen_t *size)
{
	long rc = syscall(SYS_getsockopt, fd, level, opt, value, size);
	int refused = rc < 0 && errno == EOPNOTSUPP && level == SOL_SOCKET;

	if (refused && (opt == SO_PASSCRED || opt == SO_PASSSEC) && value && size &&
	    *size >= sizeof(int)) {
		*(int *)value = 0;
		*size = sizeof(int);
		return 0;
	}
	return (int)rc;
}
