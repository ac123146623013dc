/* authreport.c: auth failure/success reports, monitor -> listener. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "envfd.h"
#include "authreport.h"

int authreport_fd(void)
{
	return env_fd(AUTHREPORT_ENV);
}

void authreport_send(int fd, enum authreport_kind kind, const char *ip)
{
	char msg[AUTHREPORT_MAX + 1];
	int n;
	if (fd < 0 || ip == NULL || *ip == 0)
		return;
	n = snprintf(msg, sizeof(msg), "%s %s", kind == AUTHREPORT_OK ? "ok" : "fail", ip);
	if (n <= 0 || n > AUTHREPORT_MAX)
		return;
	(void)send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int authreport_parse(const char *p, size_t len, char *ip, size_t iplen)
{
	int kind;
	size_t pos;

	if (iplen)
		ip[0] = 0;
	if (len > AUTHREPORT_MAX)
		return -1;
	if (len > 5 && memcmp(p, "fail ", 5) == 0) {
		kind = AUTHREPORT_FAIL;
		pos = 5;
	} else if (len > 3 && memcmp(p, "ok ", 3) == 0) {
		kind = AUTHREPORT_OK;
		pos = 3;
	} else
		return -1;
	if (len - pos >= iplen || len - pos > 45)
		return -1;
	for (size_t i = pos; i < len; i++) {
		char c = p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F') || c == '.' || c == ':'))
			return -1;
	}
	memcpy(ip, p + pos, len - pos);
	ip[len - pos] = 0;
	return kind;
}
