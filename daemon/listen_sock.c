/* listen_sock.c: postern-listen's listening sockets: bind ADDR:PORT for
 * IPv4/IPv6 literals (or "*"), or take them from systemd socket
 * activation (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "listen.h"
#include "log.h"

void listen_addr_str(const struct sockaddr *sa, socklen_t len,
		     char ip[LISTEN_IPLEN], char port[8], int *is_v6)
{
	struct sockaddr_in v4;
	const struct sockaddr *use = sa;
	socklen_t uselen = len;

	*is_v6 = sa->sa_family == AF_INET6;
	/* A v4-mapped peer on a dual-stack socket is an IPv4 client. */
	if (*is_v6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			v4.sin_port = s6->sin6_port;
			memcpy(&v4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
			use = (const struct sockaddr *)&v4;
			uselen = sizeof(v4);
			*is_v6 = 0;
		}
	}
	/* inet_ntop, not getnameinfo: no NSS code in a static program */
	if (use->sa_family == AF_INET && uselen >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)use;
		if (inet_ntop(AF_INET, &s4->sin_addr, ip, LISTEN_IPLEN) != NULL) {
			snprintf(port, 8, "%u", (unsigned)ntohs(s4->sin_port));
			return;
		}
	} else if (use->sa_family == AF_INET6 && uselen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)use;
		if (inet_ntop(AF_INET6, &s6->sin6_addr, ip, LISTEN_IPLEN) != NULL) {
			snprintf(port, 8, "%u", (unsigned)ntohs(s6->sin6_port));
			return;
		}
	}
	strcpy(ip, "unknown");
	strcpy(port, "0");
}

static void set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		err(111, "fcntl");
}

/* A port: decimal 1..65535, nothing else.  -1 when malformed. */
int listen_port_parse(const char *s)
{
	long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

/* Bind an IPv4 or IPv6 literal (inet_pton: no resolver, no NSS code in a
 * static program). */
static int bind_one(const char *host, const char *port)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	const struct sockaddr *sa;
	socklen_t salen;
	int fd, one = 1, p = listen_port_parse(port), family;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (p < 0)
		errx(100, "bad port %s", port);
	if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		s4.sin_port = htons((uint16_t)p);
		sa = (const struct sockaddr *)&s4;
		salen = sizeof(s4);
	} else if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((uint16_t)p);
		sa = (const struct sockaddr *)&s6;
		salen = sizeof(s6);
	} else
		errx(100, "bad address %s (an IPv4 or IPv6 literal)", host);
	family = sa->sa_family;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		err(111, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		err(111, "SO_REUSEADDR");
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		err(111, "IPV6_V6ONLY");
	if (bind(fd, sa, salen) < 0)
		err(111, "bind %s port %s", host, port);
	if (listen(fd, 128) < 0)
		err(111, "listen %s port %s", host, port);
	return fd;
}

static int from_systemd(const char *want, int fds[LISTEN_MAXSOCK])
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	char *end;
	long n, p;
	int count = 0;

	if (pid == NULL || nfds == NULL)
		errx(100, "systemd: LISTEN_PID/LISTEN_FDS not set");
	p = strtol(pid, &end, 10);
	if (*end || p != (long)getpid())
		errx(100, "systemd: LISTEN_PID is not ours");
	n = strtol(nfds, &end, 10);
	if (*end || n < 1 || n > 64)
		errx(100, "systemd: bad LISTEN_FDS");
	for (long i = 0; i < n; i++) {
		int fd = 3 + (int)i;
		if (want != NULL) {
			/* name i of the colon-separated list */
			const char *s = names ? names : "";
			for (long k = 0; k < i && s; k++) {
				s = strchr(s, ':');
				if (s)
					s++;
			}
			size_t len = s ? strcspn(s, ":") : 0;
			if (!s || len != strlen(want) || strncmp(s, want, len) != 0) {
				close(fd);
				continue;
			}
		}
		if (count == LISTEN_MAXSOCK)
			errx(100, "systemd: too many sockets");
		set_flags(fd);
		fds[count++] = fd;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (count == 0)
		errx(100, "systemd: no socket%s%s", want ? " named " : "", want ? want : "");
	return count;
}

int listen_open(const char *addr, const char *port, int fds[LISTEN_MAXSOCK])
{
	int count = 0;

	if (strcmp(addr, "systemd") == 0)
		return from_systemd(NULL, fds);
	if (strncmp(addr, "systemd:", 8) == 0)
		return from_systemd(addr + 8, fds);
	if (strcmp(addr, "*") == 0) {
		fds[count++] = bind_one("0.0.0.0", port);
		fds[count++] = bind_one("::", port);
		return count;
	}
	char *copy = xstrdup(addr), *save = NULL;
	for (char *h = strtok_r(copy, ",", &save); h; h = strtok_r(NULL, ",", &save)) {
		if (count == LISTEN_MAXSOCK)
			errx(100, "too many addresses");
		if (h[0] == '[') {       /* accept [::1] too */
			size_t l = strlen(h);
			if (l > 2 && h[l - 1] == ']') {
				h[l - 1] = 0;
				h++;
			}
		}
		fds[count++] = bind_one(h, port);
	}
	free(copy);
	if (count == 0)
		errx(100, "no address");
	return count;
}
