/* lines.c: reading a small text file whole, and the line walk shared by
 * its readers (see lines.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lines.h"

void
lines_format_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
lines_read_file(const char *path, size_t max, unsigned flags, struct buf *b,
    char *err, size_t errlen)
{
	char chunk[65536];
	struct stat st;
	int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY, fd, rc = -1;

	if (flags & LINES_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	/* a FIFO in place of a regular file must not block the open */
	if (!(flags & LINES_ANY_TYPE))
		oflags |= O_NONBLOCK;
	fd = open(path, oflags);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		lines_format_error(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!(flags & LINES_ANY_TYPE) &&
	    (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		lines_format_error(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			lines_format_error(err, errlen, "%s: %s", path, strerror(errno));
			break;
		}
		if (r == 0) {
			rc = 0;
			break;
		}
		if ((size_t)r > max || b->len > max - (size_t)r) {
			lines_format_error(err, errlen, "%s: file larger than %zu bytes",
			    path, max);
			break;
		}
		buf_append(b, chunk, (size_t)r);
	}
	if (flags & LINES_SECRET)
		explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

void
lines_init(struct lines *it, const char *p, size_t len, size_t max_line)
{
	it->p = p;
	it->len = len;
	it->pos = 0;
	it->max_line = max_line;
	it->lineno = 0;
}

/* Any octet below 0x20 but TAB, or DEL, in s[0..n-1]?  Eight octets at
 * a time: a word without an octet below 0x20 and without 0x7f is
 * skipped whole (a config file is read at every program start); a word
 * that has one is looked at octet by octet (a TAB is allowed). */
static int
has_control(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0, k;
	uint64_t w, x;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		x = w ^ (0x7f * ones);
		/* octets < 0x20 (ASCII only: an octet >= 0x80 never counts),
		 * or octets equal to 0x7f */
		if ((((w - 0x20 * ones) & ~w) | ((x - ones) & ~x)) & highs) {
			for (k = i; k < i + 8; k++) {
				unsigned char c = (unsigned char)s[k];
				if ((c < 0x20 && c != '\t') || c == 0x7f)
					return 1;
			}
		}
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 1;
	}
	return 0;
}

enum lines_status
lines_next(struct lines *it, const char **line, size_t *len)
{
	const char *s, *nl;
	size_t end, n;

	if (it->pos >= it->len)
		return LINES_END;
	s = it->p + it->pos;
	nl = memchr(s, '\n', it->len - it->pos);
	end = nl ? (size_t)(nl - it->p) : it->len;
	n = end - it->pos;
	it->pos = nl ? end + 1 : it->len;
	it->lineno++;
	if (it->max_line > 0 && n > it->max_line)
		return LINES_TOOLONG;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (has_control(s, n))
		return LINES_CONTROL;
	*line = s;
	*len = n;
	return LINES_OK;
}

const char *
lines_why(enum lines_status st)
{
	return st == LINES_TOOLONG ? "line too long" :
	    "control character in line";
}

int
lines_is_blank_or_comment(const char *s, size_t len)
{
	size_t k = 0;

	while (k < len && is_blank(s[k]))
		k++;
	return k == len || s[k] == '#';
}

void
lines_entry(const char *s, size_t len, size_t *start, size_t *end)
{
	size_t b = 0, e;

	for (e = 0; e < len; e++)
		if (s[e] == '#' && (e == 0 || is_blank(s[e - 1])))
			break;
	while (b < e && is_blank(s[b]))
		b++;
	while (e > b && is_blank(s[e - 1]))
		e--;
	*start = b;
	*end = e;
}
