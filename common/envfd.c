/* envfd.c: parse a descriptor number from the environment (envfd.h). */
#include "envfd.h"

#include <errno.h>
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

