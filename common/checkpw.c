/* checkpw.c: build, parse and read the checkpassword fd-3 record (see
 * checkpw.h). */
#include "checkpw.h"
#include "io.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
checkpw_parse(const char *p, size_t len, struct checkpw_record *r)
{
	const char *f[3];
	size_t fl[3], nf = 0, start = 0;

	if (len > CHECKPW_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\0')
			continue;
		if (nf == 3)
			return -1;
		f[nf] = p + start;
		fl[nf] = i - start;
		nf++;
		start = i + 1;
	}
	if (start != len)   /* bytes after the last NUL */
		return -1;
	if (nf < 2)
		return -1;
	r->user = f[0];
	r->user_len = fl[0];
	r->password = f[1];
	r->password_len = fl[1];
	if (nf == 3) {
		r->timestamp = f[2];
		r->timestamp_len = fl[2];
	} else {
		r->timestamp = "";
		r->timestamp_len = 0;
	}
	return 0;
}

int
checkpw_build(struct buf *out, const char *user, size_t user_len,
    const char *password, size_t password_len, const char *timestamp,
    size_t timestamp_len)
{
	char now[32];

	if (timestamp == NULL) {
		snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
		timestamp = now;
		timestamp_len = strlen(now);
	}
	if (memchr(user, '\0', user_len) || memchr(password, '\0', password_len) ||
	    memchr(timestamp, '\0', timestamp_len))
		return -1;
	if (user_len > CHECKPW_MAX || password_len > CHECKPW_MAX ||
	    timestamp_len > CHECKPW_MAX ||
	    user_len + password_len + timestamp_len + 3 > CHECKPW_MAX)
		return -1;
	buf_append(out, user, user_len);
	buf_putc(out, '\0');
	buf_append(out, password, password_len);
	buf_putc(out, '\0');
	buf_append(out, timestamp, timestamp_len);
	buf_putc(out, '\0');
	return 0;
}


long
checkpw_read(int fd, char *dst, size_t cap, int timeout_ms)
{
	size_t got = 0;
	long long deadline = io_now_ms() + timeout_ms;

	if (cap < CHECKPW_MAX + 1) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		if (timeout_ms > 0) {
			long long left = deadline - io_now_ms();
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			if (left <= 0)
				return -2;
			int pr = poll(&pfd, 1, (int)left);
			if (pr < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (pr == 0)
				return -2;
			if (pfd.revents & POLLNVAL) {
				errno = EBADF;
				return -1;
			}
		}
		ssize_t r = read(fd, dst + got, CHECKPW_MAX + 1 - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return (long)got;
		got += (size_t)r;
		if (got > CHECKPW_MAX)
			return -3;
	}
}
