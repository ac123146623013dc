/* handoff.c: encode, decode and receive the pre-auth -> post-auth
 * hand-off record (see handoff.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "envfd.h"
#include "handoff.h"
#include "io.h"

enum {
	HF_SERVICE = 1, HF_TAG, HF_COMMAND, HF_PIPELINED, HF_TLS_VERSION,
	HF_TLS_CIPHER, HF_TLS_SNI, HF_REMOTE_IP, HF_REMOTE_PORT, HF_FAILS,
	HF_USER, HF_LAST
};

void handoff_init(struct handoff *h)
{
	memset(h, 0, sizeof(*h));
	buf_init(&h->tag);
	buf_init(&h->command);
	buf_init(&h->pipelined);
}

void handoff_free(struct handoff *h)
{
	buf_free(&h->tag);
	buf_free(&h->command);
	buf_free(&h->pipelined);
	memset(h, 0, sizeof(*h));
}

static void put_field(struct buf *out, int tag, const void *p, size_t n)
{
	unsigned char hdr[5];
	if (n > UINT32_MAX)
		xalloc_die();
	hdr[0] = (unsigned char)tag;
	hdr[1] = (unsigned char)(n >> 24);
	hdr[2] = (unsigned char)(n >> 16);
	hdr[3] = (unsigned char)(n >> 8);
	hdr[4] = (unsigned char)n;
	buf_append(out, hdr, 5);
	buf_append(out, p, n);
}

static void put_str(struct buf *out, int tag, const char *s)
{
	if (s[0])
		put_field(out, tag, s, strlen(s));
}

void handoff_encode(const struct handoff *h, struct buf *out)
{
	char num[24];

	buf_append(out, "PHO1", 4);
	put_str(out, HF_SERVICE, h->service);
	if (h->tag.len)
		put_field(out, HF_TAG, h->tag.p, h->tag.len);
	if (h->command.len)
		put_field(out, HF_COMMAND, h->command.p, h->command.len);
	if (h->pipelined.len)
		put_field(out, HF_PIPELINED, h->pipelined.p, h->pipelined.len);
	if (h->tls.active) {
		put_str(out, HF_TLS_VERSION, h->tls.version);
		put_str(out, HF_TLS_CIPHER, h->tls.cipher);
		put_str(out, HF_TLS_SNI, h->tls.sni);
	}
	put_str(out, HF_REMOTE_IP, h->remote_ip);
	put_str(out, HF_REMOTE_PORT, h->remote_port);
	snprintf(num, sizeof(num), "%u", h->fail_count);
	put_str(out, HF_FAILS, num);
	put_str(out, HF_USER, h->user);
}

/* Copy a short text field: printable ASCII only, must fit. */
static int get_str(char *dst, size_t dstlen, const char *p, size_t n)
{
	return tls_fact_copy(dst, dstlen, p, n);
}

static int get_fails(unsigned *out, const char *p, size_t n)
{
	unsigned long v = 0;
	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	*out = (unsigned)v;
	return 0;
}

int handoff_decode(const char *p, size_t len, struct handoff *h)
{
	size_t pos = 4;
	unsigned seen = 0;

	buf_reset(&h->tag);
	buf_reset(&h->command);
	buf_reset(&h->pipelined);
	if (len < 4 || len > HANDOFF_MAX || memcmp(p, "PHO1", 4) != 0)
		goto bad;
	while (pos < len) {
		const unsigned char *u;
		size_t n;
		int tag, r = 0;

		if (len - pos < 5)
			goto bad;
		u = (const unsigned char *)p + pos;
		tag = u[0];
		n = ((size_t)u[1] << 24) | ((size_t)u[2] << 16) | ((size_t)u[3] << 8) | u[4];
		pos += 5;
		if (n > len - pos)
			goto bad;
		const char *v = p + pos;
		pos += n;
		if (tag <= 0 || tag >= HF_LAST)
			continue;            /* a newer writer's field */
		if (seen & (1u << tag))
			goto bad;
		seen |= 1u << tag;
		switch (tag) {
		case HF_SERVICE: r = get_str(h->service, sizeof(h->service), v, n); break;
		case HF_TAG:
			if (n > HANDOFF_LINE_MAX) goto bad;
			buf_append(&h->tag, v, n);
			break;
		case HF_COMMAND:
			if (n > HANDOFF_LINE_MAX) goto bad;
			buf_append(&h->command, v, n);
			break;
		case HF_PIPELINED:
			if (n > HANDOFF_PIPELINED_MAX) goto bad;
			buf_append(&h->pipelined, v, n);
			break;
		case HF_TLS_VERSION: r = get_str(h->tls.version, sizeof(h->tls.version), v, n); break;
		case HF_TLS_CIPHER: r = get_str(h->tls.cipher, sizeof(h->tls.cipher), v, n); break;
		case HF_TLS_SNI: r = get_str(h->tls.sni, sizeof(h->tls.sni), v, n); break;
		case HF_REMOTE_IP: r = get_str(h->remote_ip, sizeof(h->remote_ip), v, n); break;
		case HF_REMOTE_PORT: r = get_str(h->remote_port, sizeof(h->remote_port), v, n); break;
		case HF_FAILS: r = get_fails(&h->fail_count, v, n); break;
		case HF_USER: r = get_str(h->user, sizeof(h->user), v, n); break;
		}
		if (r < 0)
			goto bad;
	}
	h->tls.active = h->tls.version[0] != 0;
	return 0;
bad:
	handoff_free(h);
	handoff_init(h);
	return -1;
}


int handoff_read_fd(int fd, struct handoff *h, int timeout_ms)
{
	struct buf b = BUF_INIT;
	long long deadline = io_now_ms() + timeout_ms;
	int ret = -1;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - io_now_ms();
		char tmp[8192];
		ssize_t n;
		int pr;

		if (left <= 0)
			goto out;
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			goto out;
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if ((size_t)n > HANDOFF_MAX - b.len)
			goto out;
		buf_append(&b, tmp, (size_t)n);
	}
	ret = handoff_decode(b.p ? b.p : "", b.len, h);
out:
	buf_free(&b);
	return ret;
}


int handoff_receive(struct handoff *h)
{
	int fd = env_fd(HANDOFF_FD_ENV), sfd = env_fd(HANDOFF_STARTED_ENV);
	int r = 0;

	if (fd >= 0) {
		r = handoff_read_fd(fd, h, 10000) == 0 ? 1 : -1;
		close(fd);
	}
	if (sfd >= 0) {
		ssize_t w;
		do
			w = write(sfd, "S", 1);
		while (w < 0 && errno == EINTR);
		close(sfd);
	}
	unsetenv(HANDOFF_FD_ENV);
	unsetenv(HANDOFF_STARTED_ENV);
	return r;
}
