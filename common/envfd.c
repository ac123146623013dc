/* envfd.c: a descriptor number in the environment, read and passed on
 * (envfd.h). */
#include "envfd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>

int
env_fd(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 3 || n > INT_MAX)
		return -1;
	return (int)n;
}

int
env_fd_pass(const char *name, int fd)
{
	char num[16];
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
		return -1;
	snprintf(num, sizeof(num), "%d", fd);
	return setenv(name, num, 1);
}
