/* queue_conf.c: which instance a postern-queue belongs to.  Setuid, it
 * trusts nothing from its caller's environment: the instance is where
 * the binary lives (DIR/libexec/postern-queue -> DIR/etc/postern.conf). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "queue.h"

static int
from_location(char *out, size_t outlen, const char **reason)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	size_t dlen;
	int k;

	if (n <= 0) {
		*reason = "cannot read /proc/self/exe";
		return -1;
	}
	self[n] = '\0';
	/* self = DIR/libexec/postern-queue */
	slash = strrchr(self, '/');
	if (slash == NULL || slash == self) {
		*reason = "odd program location";
		return -1;
	}
	*slash = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL || strcmp(slash + 1, "libexec") != 0) {
		*reason = "not installed as DIR/libexec/postern-queue of an instance";
		return -1;
	}
	dlen = (size_t)(slash - self);
	k = snprintf(out, outlen, "%.*s/etc/postern.conf", (int)dlen, self);
	if (k < 0 || (size_t)k >= outlen) {
		*reason = "path too long";
		return -1;
	}
	return 0;
}

int
queue_conf_path(const char *given, char *out, size_t outlen, const char **reason)
{
	const char *env;
	int k;

	if (getauxval(AT_SECURE) != 0)
		return from_location(out, outlen, reason);
	env = given != NULL ? given : getenv("POSTERN_CONF");
	if (env != NULL && *env != '\0') {
		k = snprintf(out, outlen, "%s", env);
		if (k < 0 || (size_t)k >= outlen) {
			*reason = "path too long";
			return -1;
		}
		return 0;
	}
	return from_location(out, outlen, reason);
}
