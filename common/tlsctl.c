/* tlsctl.c: the control-descriptor protocol between postern-tls and the
 * protocol programs (STARTTLS/STLS); see tlsctl.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "envfd.h"
#include "fdpass.h"
#include "tlsctl.h"

int tlsctl_fd(void)
{
	int fd = env_fd(TLSCTL_ENV), fl;

	if (fd < 0)
		return -1;
	/* Ours alone: a program this one runs (smtpd's postern-queue) must
	 * not inherit the right to ask for TLS, nor hold the descriptor open
	 * (postern-listen -R waits until every holder has closed it). */
	fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		return -1;
	if (!(fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return fd;
}

int tlsctl_available(void)
{
	return tlsctl_fd() >= 0;
}

static size_t put_field(char *out, size_t outlen, size_t at, const char *s)
{
	size_t n = strlen(s);
	if (at == 0 && outlen == 0)
		return 0;
	if (n + 1 > outlen - at)
		return 0;
	memcpy(out + at, s, n + 1);
	return at + n + 1;
}

size_t tlsctl_format_ok(char *out, size_t outlen, const struct tls_facts *f)
{
	size_t at = put_field(out, outlen, 0, "OK");
	if (at) at = put_field(out, outlen, at, f->version);
	if (at) at = put_field(out, outlen, at, f->cipher);
	if (at) at = put_field(out, outlen, at, f->sni);
	return at;
}

size_t tlsctl_format_no(char *out, size_t outlen, const char *reason)
{
	size_t at = put_field(out, outlen, 0, "NO");
	if (at) at = put_field(out, outlen, at, reason);
	return at;
}

/* Next NUL-terminated field at *pos within p[0..len). */
static int next_field(const char *p, size_t len, size_t *pos, const char **f, size_t *flen)
{
	const char *nul;
	if (*pos >= len)
		return -1;
	nul = memchr(p + *pos, 0, len - *pos);
	if (nul == NULL)
		return -1;
	*f = p + *pos;
	*flen = (size_t)(nul - *f);
	*pos += *flen + 1;
	return 0;
}

int tlsctl_parse_answer(const char *p, size_t len, struct tls_facts *f,
			char *reason, size_t reasonlen)
{
	size_t pos = 0, n;
	const char *s;

	tls_facts_clear(f);
	if (reasonlen)
		reason[0] = 0;
	if (next_field(p, len, &pos, &s, &n) < 0)
		return -1;
	if (n == 2 && memcmp(s, "NO", 2) == 0) {
		if (next_field(p, len, &pos, &s, &n) < 0 || pos != len)
			return -1;
		if (reasonlen) {
			size_t k = n < reasonlen - 1 ? n : reasonlen - 1;
			for (size_t i = 0; i < k; i++)
				reason[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
			reason[k] = 0;
		}
		return 0;
	}
	if (n != 2 || memcmp(s, "OK", 2) != 0)
		return -1;
	if (next_field(p, len, &pos, &s, &n) < 0 || n == 0 ||
	    tls_fact_copy(f->version, sizeof(f->version), s, n) < 0)
		return -1;
	if (next_field(p, len, &pos, &s, &n) < 0 ||
	    tls_fact_copy(f->cipher, sizeof(f->cipher), s, n) < 0)
		return -1;
	if (next_field(p, len, &pos, &s, &n) < 0 ||
	    tls_fact_copy(f->sni, sizeof(f->sni), s, n) < 0)
		return -1;
	if (pos != len)
		return -1;
	f->active = 1;
	return 1;
}

int tlsctl_send(int sock, const void *p, size_t n, int fd)
{
	return fdpass_send(sock, p, n, &fd, fd >= 0 ? 1 : 0, 0);
}

ssize_t tlsctl_recv(int sock, void *p, size_t n, int *fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	ssize_t r;
	int pr, nfds, trunc;

	*fd = -1;
	do
		pr = poll(&pfd, 1, timeout_ms);
	while (pr < 0 && errno == EINTR);
	if (pr <= 0)
		return -1;
	r = fdpass_recv(sock, p, n, fd, 1, &nfds, &trunc);
	if (r < 0 || nfds == 0)
		*fd = -1;
	if (r >= 0 && trunc) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	return r;
}

int tlsctl_parse_request(const char *p, size_t len, const char **reply, size_t *replylen)
{
	size_t k = strlen(TLSCTL_REQUEST);
	if (len < k + 1 || len > TLSCTL_MAX || memcmp(p, TLSCTL_REQUEST, k) != 0 || p[k] != 0)
		return -1;
	*reply = p + k + 1;
	*replylen = len - k - 1;
	return 0;
}

int tlsctl_starttls(struct io *io, const char *reply, size_t replylen,
		    struct tls_facts *f, char *reason, size_t reasonlen)
{
	char ans[TLSCTL_MAX], req[TLSCTL_MAX];
	size_t reqlen = strlen(TLSCTL_REQUEST) + 1;
	int ctl = tlsctl_fd(), fd = -1, r;
	ssize_t n;

	tls_facts_clear(f);
	if (reasonlen)
		reason[0] = 0;
#define FAIL(msg) do { if (reasonlen) { strncpy(reason, msg, reasonlen - 1); reason[reasonlen - 1] = 0; } goto fail; } while (0)
	if (ctl < 0)
		FAIL("no TLS control descriptor");
	if (io_flush(io) != IO_OK)
		FAIL("flush failed");
	if (replylen > TLSCTL_REPLY_MAX)
		FAIL("reply too long");
	memcpy(req, TLSCTL_REQUEST, reqlen);   /* with its NUL */
	memcpy(req + reqlen, reply, replylen);
	if (tlsctl_send(ctl, req, reqlen + replylen, -1) < 0)
		FAIL("control send failed");
	/* The terminator bounds the handshake itself; this is a backstop. */
	n = tlsctl_recv(ctl, ans, sizeof(ans), &fd, 120000);
	if (n <= 0)
		FAIL("no answer from TLS terminator");
	r = tlsctl_parse_answer(ans, (size_t)n, f, reason, reasonlen);
	if (r < 0)
		FAIL("malformed answer from TLS terminator");
	if (r == 0)
		goto fail;
	if (fd < 0)
		FAIL("no data socket from TLS terminator");
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		FAIL("dup2 failed");
	close(fd);
	close(ctl);
	unsetenv(TLSCTL_ENV);
	io_set_fds(io, 0, 1);
	io_discard_input(io);
	return 0;
#undef FAIL
fail:
	if (fd >= 0)
		close(fd);
	f->active = 0;
	return -1;
}

int tlsctl_split_chain(char *const *argv, int argc)
{
	for (int i = 0; i < argc && argv[i] != NULL; i++)
		if (strcmp(argv[i], "--") == 0)
			return i > 0 && i + 1 < argc && argv[i + 1] != NULL ? i : -1;
	return -1;
}

int tlsctl_peek_request(int ctl)
{
	char c;
	ssize_t n;

	if (ctl < 0)
		return 0;
	do
		n = recv(ctl, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return -1;
	return 0;   /* EOF (or an error: treated as the end) */
}
