/* remote_conn.c: postern-remote's connection: a non-blocking TCP socket,
 * optionally wrapped in a GnuTLS client session, with a deadline per
 * operation and bounded line reads.  (common/io.h cannot carry TLS, and
 * postern-remote is the one TLS client, so this is the same discipline
 * with a TLS hook.) */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "buf.h"
#include "remote.h"
#include "io.h"

#define CONN_INBUF 16384

struct conn {
	int fd;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
	char *in;                /* CONN_INBUF + line room */
	size_t in_start, in_end, in_cap;
	struct buf out;
	struct buf line;         /* a line that spans buffer refills */
	int loopback;
	char desc[128];
};


static int
wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	long long left;
	int rc;

	for (;;) {
		left = deadline - io_now_ms();
		if (left <= 0)
			return CONN_TIMEOUT;
		rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return CONN_OK;
		if (rc < 0 && errno != EINTR)
			return CONN_ERROR;
	}
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

struct conn *
conn_connect(const struct sockaddr *sa, socklen_t len, int timeout_ms,
    char *err, size_t errlen)
{
	long long deadline = io_now_ms() + timeout_ms;
	struct conn *c;
	int fd, soerr = 0;
	socklen_t sl = sizeof soerr;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		seterr(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS) {
			seterr(err, errlen, "connect: %s", strerror(errno));
			close(fd);
			return NULL;
		}
		if (wait_fd(fd, POLLOUT, deadline) != CONN_OK) {
			seterr(err, errlen, "connect: timed out");
			close(fd);
			return NULL;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
		    soerr != 0) {
			seterr(err, errlen, "connect: %s", strerror(soerr ? soerr : errno));
			close(fd);
			return NULL;
		}
	}
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->in_cap = CONN_INBUF;
	c->in = xmalloc(c->in_cap);
	buf_init(&c->out);
	buf_init(&c->line);
	if (sa->sa_family == AF_INET)
		c->loopback = (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	else if (sa->sa_family == AF_INET6)
		c->loopback = IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return c;
}

void
conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->tls) {
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c->tls);
	}
	if (c->cred)
		gnutls_certificate_free_credentials(c->cred);
	close(c->fd);
	free(c->in);
	buf_free(&c->out);
	buf_free(&c->line);
	free(c);
}

/* one read into the buffer: > 0 bytes, or a conn_status */
static int
fill(struct conn *c, long long deadline)
{
	ssize_t n;

	if (c->in_start == c->in_end)
		c->in_start = c->in_end = 0;
	if (c->in_end == c->in_cap) {
		memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
		c->in_end -= c->in_start;
		c->in_start = 0;
	}
	for (;;) {
		if (c->tls) {
			n = gnutls_record_recv(c->tls, c->in + c->in_end,
			    c->in_cap - c->in_end);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				int rc = wait_fd(c->fd, POLLIN, deadline);
				if (rc != CONN_OK)
					return rc;
				continue;
			}
			if (n == GNUTLS_E_PREMATURE_TERMINATION || n == 0)
				return CONN_EOF;
			if (n < 0)
				return CONN_ERROR;
		} else {
			n = read(c->fd, c->in + c->in_end, c->in_cap - c->in_end);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				int rc = wait_fd(c->fd, POLLIN, deadline);
				if (rc != CONN_OK)
					return rc;
				continue;
			}
			if (n == 0)
				return CONN_EOF;
			if (n < 0)
				return CONN_ERROR;
		}
		c->in_end += (size_t)n;
		return (int)n;
	}
}

int
conn_getline(struct conn *c, size_t max, int timeout_ms, const char **line,
    size_t *len)
{
	long long deadline = io_now_ms() + timeout_ms;
	int toolong = 0;

	buf_reset(&c->line);
	for (;;) {
		char *s = c->in + c->in_start;
		size_t avail = c->in_end - c->in_start;
		char *nl = memchr(s, '\n', avail);
		size_t take = nl ? (size_t)(nl - s) + 1 : avail;
		int rc;

		if (!toolong) {
			if (c->line.len + take > max)
				toolong = 1;
			else
				buf_append(&c->line, s, take);
		}
		c->in_start += take;
		if (nl) {
			if (toolong)
				return CONN_TOOLONG;
			*line = c->line.p;
			*len = c->line.len;
			return CONN_OK;
		}
		rc = fill(c, deadline);
		if (rc < 0)
			return rc;
	}
}

void
conn_write(struct conn *c, const void *p, size_t n)
{
	buf_append(&c->out, p, n);
}

void
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
}

size_t
conn_pending_out(const struct conn *c)
{
	return c->out.len;
}

size_t
conn_pending_in(const struct conn *c)
{
	return c->in_end - c->in_start +
	    (c->tls ? gnutls_record_check_pending(c->tls) : 0);
}

int
conn_flush(struct conn *c, int timeout_ms)
{
	long long deadline = io_now_ms() + timeout_ms;
	size_t off = 0;
	ssize_t n;
	int rc;

	while (off < c->out.len) {
		size_t chunk = c->out.len - off;
		if (chunk > 16384)
			chunk = 16384;
		if (c->tls) {
			n = gnutls_record_send(c->tls, c->out.p + off, chunk);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				/* GnuTLS wants the same call repeated */
				if ((rc = wait_fd(c->fd, POLLOUT, deadline)) != CONN_OK)
					return rc;
				continue;
			}
			if (n < 0)
				return CONN_ERROR;
		} else {
			n = send(c->fd, c->out.p + off, chunk, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if ((rc = wait_fd(c->fd, POLLOUT, deadline)) != CONN_OK)
					return rc;
				continue;
			}
			if (n < 0)
				return CONN_ERROR;
		}
		off += (size_t)n;
	}
	buf_reset(&c->out);
	return CONN_OK;
}

int
conn_starttls(struct conn *c, const char *host, int verify,
    const char *cafile, const char *priority, int timeout_ms, char *err,
    size_t errlen)
{
	long long deadline = io_now_ms() + timeout_ms;
	struct in6_addr a6;
	struct in_addr a4;
	int rc;

	if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
		seterr(err, errlen, "TLS: no memory");
		return -1;
	}
	if (verify) {
		rc = cafile ? gnutls_certificate_set_x509_trust_file(c->cred,
		    cafile, GNUTLS_X509_FMT_PEM) :
		    gnutls_certificate_set_x509_system_trust(c->cred);
		if (rc <= 0) {
			seterr(err, errlen, "TLS: no trusted CA loaded from %s",
			    cafile ? cafile : "the system store");
			return -1;
		}
	}
	if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0) {
		c->tls = NULL;
		seterr(err, errlen, "TLS: init failed");
		return -1;
	}
	if (gnutls_priority_set_direct(c->tls, priority ? priority : "NORMAL",
	    NULL) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred) < 0) {
		seterr(err, errlen, "TLS: bad priority string");
		goto fail;
	}
	/* SNI only for names (RFC 6066 3: not for address literals) */
	if (inet_pton(AF_INET, host, &a4) != 1 &&
	    inet_pton(AF_INET6, host, &a6) != 1)
		gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, host, strlen(host));
	if (verify)
		gnutls_session_set_verify_cert(c->tls, host, 0);
	gnutls_transport_set_int(c->tls, c->fd);
	for (;;) {
		rc = gnutls_handshake(c->tls);
		if (rc == GNUTLS_E_SUCCESS)
			break;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			short ev = gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN;
			if (wait_fd(c->fd, ev, deadline) != CONN_OK) {
				seterr(err, errlen, "TLS handshake timed out");
				goto fail;
			}
			continue;
		}
		if (gnutls_error_is_fatal(rc)) {
			if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
				gnutls_datum_t out;
				unsigned status = gnutls_session_get_verify_cert_status(c->tls);
				if (gnutls_certificate_verification_status_print(status,
				    gnutls_certificate_type_get(c->tls), &out, 0) == 0) {
					seterr(err, errlen, "TLS certificate not verified: %s",
					    out.data);
					gnutls_free(out.data);
				} else
					seterr(err, errlen, "TLS certificate not verified");
			} else
				seterr(err, errlen, "TLS handshake: %s",
				    gnutls_strerror(rc));
			goto fail;
		}
	}
	snprintf(c->desc, sizeof c->desc, "%s:%s",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(c->tls)),
	    gnutls_cipher_get_name(gnutls_cipher_get(c->tls)));
	c->in_start = c->in_end = 0;
	return 0;
fail:
	gnutls_deinit(c->tls);
	c->tls = NULL;
	return -1;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

const char *
conn_tls_desc(const struct conn *c)
{
	return c->tls ? c->desc : "";
}

int
conn_is_loopback(const struct conn *c)
{
	return c->loopback;
}
