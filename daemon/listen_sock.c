/* listen_sock.c: postern-listen's listening sockets: bind ADDR:PORT for
 * IPv4/IPv6 literals (or "*"), or take them from systemd socket
 * activation (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
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
	if (*is_v6) {
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
	if (getnameinfo(use, uselen, ip, LISTEN_IPLEN, port, 8,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		strcpy(ip, "unknown");
		strcpy(port, "0");
	}
}

static void set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		err(111, "fcntl");
}

static int bind_one(const char *host, const char *port)
{
	struct addrinfo hints, *ai;
	int fd, one = 1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0)
		errx(100, "bad address %s port %s: %s", host, port, gai_strerror(r));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		err(111, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		err(111, "SO_REUSEADDR");
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		err(111, "IPV6_V6ONLY");
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		err(111, "bind %s port %s", host, port);
	if (listen(fd, 128) < 0)
		err(111, "listen %s port %s", host, port);
	freeaddrinfo(ai);
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
