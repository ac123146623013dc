/* fatal.c: fatal setup errors that never reach the client (see fatal.h). */
#include "fatal.h"

#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include "log.h"

int
fatal_stderr_is_network(void)
{
	struct stat s2, s;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (fstat(2, &s2) < 0 || !S_ISSOCK(s2.st_mode))
		return 0;
	if (getsockname(2, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
		return 1;
	/* a socketpair in place of the connection (behind postern-tls) */
	for (int fd = 0; fd <= 1; fd++)
		if (fstat(fd, &s) == 0 && s.st_dev == s2.st_dev && s.st_ino == s2.st_ino)
			return 1;
	return 0;
}

static void __attribute__((noreturn))
fatal_v(int status, int errnum, const char *fmt, va_list ap)
{
	char msg[512], v[1024];
	const char *sid;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!fatal_stderr_is_network()) {
		if (errnum)
			errx(status, "%s: %s", msg, strerror(errnum));
		errx(status, "%s", msg);
	}
	if (errnum) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	}
	log_value(v, sizeof(v), msg, strlen(msg));
	sid = log_session();
	/* syslog directly: the log itself may be set to stderr */
	syslog(LOG_MAIL | LOG_ERR, "event=fatal%s%s error=\"%s\"",
	    sid ? " session=" : "", sid ? sid : "", v);
	exit(status);
}

void
fatal_err(int status, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	fatal_v(status, errnum, fmt, ap);
}

void
fatal_errx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fatal_v(status, 0, fmt, ap);
}
