/* authclient.c: send credentials + hand-off record to postern-login and
 * read its answer; the monitor's parser of the same request. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "envfd.h"
#include "fdpass.h"
#include "authclient.h"
#include "buf.h"
#include "handoff.h"
#include "io.h"

int authclient_fd(void)
{
	return env_fd(AUTHCLIENT_ENV);
}

size_t authclient_body_len(const unsigned char hdr[AUTHCLIENT_HDR])
{
	return ((size_t)hdr[0] << 24) | ((size_t)hdr[1] << 16) | ((size_t)hdr[2] << 8) | hdr[3];
}

/* The 4-byte header with descriptor 0 attached. */
static int send_first(int sock, const char *hdr)
{
	int conn = 0;

	return fdpass_send(sock, hdr, 4, &conn, 1, 0);
}

int authclient_read_header(int sock, unsigned char hdr[AUTHCLIENT_HDR], int *fd)
{
	size_t got = 0;

	*fd = -1;
	while (got < AUTHCLIENT_HDR) {
		int fds[FDPASS_MAX], nfds, trunc, i;
		ssize_t r = fdpass_recv(sock, hdr + got, AUTHCLIENT_HDR - got, fds,
		    FDPASS_MAX, &nfds, &trunc);

		/* the first descriptor that comes is the one; any other is
		 * closed */
		for (i = 0; i < nfds; i++) {
			if (*fd < 0 && r > 0)
				*fd = fds[i];
			else
				close(fds[i]);
		}
		if (r <= 0) {
			if (*fd >= 0)
				close(*fd);
			*fd = -1;
			return r == 0 && got == 0 ? 0 : -1;
		}
		got += (size_t)r;
	}
	return 1;
}

enum auth_answer authclient_check(int fd, const char *user, size_t ulen,
				  const char *pass, size_t plen,
				  const void *handoff, size_t hlen, int timeout_ms)
{
	struct buf b = BUF_INIT;
	unsigned char c[4];
	size_t body;
	enum auth_answer ans = AUTH_UNAVAILABLE;

	if (fd < 0)
		return AUTH_UNAVAILABLE;
	if (ulen == 0 || ulen + plen > AUTHCLIENT_CRED_MAX ||
	    memchr(user, 0, ulen) || (plen && memchr(pass, 0, plen)))
		return AUTH_NO;
	if (hlen > HANDOFF_MAX)
		return AUTH_TEMPFAIL;
	body = 2 + ulen + 2 + plen + hlen;
	c[0] = (unsigned char)(body >> 24);
	c[1] = (unsigned char)(body >> 16);
	c[2] = (unsigned char)(body >> 8);
	c[3] = (unsigned char)body;
	buf_append(&b, c, 4);
	c[0] = (unsigned char)(ulen >> 8);
	c[1] = (unsigned char)ulen;
	buf_append(&b, c, 2);
	buf_append(&b, user, ulen);
	c[0] = (unsigned char)(plen >> 8);
	c[1] = (unsigned char)plen;
	buf_append(&b, c, 2);
	buf_append(&b, pass, plen);
	if (hlen)
		buf_append(&b, handoff, hlen);
	if (send_first(fd, b.p) == 0 &&
	    io_write_all(fd, b.p + 4, b.len - 4, timeout_ms) == IO_OK) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr;
		do
			pr = poll(&pfd, 1, timeout_ms);
		while (pr < 0 && errno == EINTR);
		if (pr > 0) {
			ssize_t n;
			do
				n = read(fd, c, 1);
			while (n < 0 && errno == EINTR);
			if (n == 1)
				ans = c[0] == 'Y' ? AUTH_YES : c[0] == 'N' ? AUTH_NO :
				      AUTH_TEMPFAIL;
		} else if (pr == 0)
			ans = AUTH_TEMPFAIL;
	}
	/* The password must not linger in freed memory. */
	explicit_bzero(b.p, b.len);
	buf_free(&b);
	return ans;
}

int authclient_parse_request(const char *p, size_t len,
			     const char **user, size_t *ulen,
			     const char **pass, size_t *plen,
			     const char **handoff, size_t *hlen)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t pos = 0, n;

	if (len < 2)
		return -1;
	n = ((size_t)u[0] << 8) | u[1];
	pos = 2;
	if (n == 0 || n > len - pos || n > AUTHCLIENT_CRED_MAX)
		return -1;
	*user = p + pos;
	*ulen = n;
	pos += n;
	if (len - pos < 2)
		return -1;
	n = ((size_t)u[pos] << 8) | u[pos + 1];
	pos += 2;
	if (n > len - pos || *ulen + n > AUTHCLIENT_CRED_MAX)
		return -1;
	*pass = p + pos;
	*plen = n;
	pos += n;
	if (memchr(*user, 0, *ulen) || (n && memchr(*pass, 0, n)))
		return -1;
	*handoff = p + pos;
	*hlen = len - pos;
	if (*hlen > HANDOFF_MAX)
		return -1;
	return 0;
}
