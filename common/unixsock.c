/* unixsock.c: a UNIX stream socket by path (see unixsock.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unixsock.h"

static int
address(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

int
unixsock_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, e;

	if (address(&sa, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
unixsock_listen(const char *path, int backlog, mode_t mode, int extra_flags)
{
	struct sockaddr_un sa;
	int fd, e;

	if (address(&sa, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | extra_flags, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, backlog) == 0 &&
	    chmod(path, mode) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}
