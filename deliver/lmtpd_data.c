/* lmtpd_data.c: postern-lmtpd's DATA reader: dot-unstuffing, CRLF to LF,
 * size and line caps, into an open (memfd) file. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lmtpd.h"

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
lmtp_data_read(struct io *io, int fd, const struct buf *prefix, uint64_t max,
    size_t max_line, uint64_t *size, int *too_big, int *too_long)
{
	struct buf out = BUF_INIT;
	const char *line;
	size_t len;
	int rc, write_failed = 0;

	*size = 0;
	*too_big = *too_long = 0;
	if (prefix && prefix->len) {
		buf_append(&out, prefix->p, prefix->len);
		*size += prefix->len;
	}
	for (;;) {
		rc = io_getline(io, max_line, &line, &len);
		if (rc == IO_TOOLONG) {
			*too_long = 1;
			continue;
		}
		if (rc != IO_OK) {
			buf_free(&out);
			return rc;
		}
		if (len == 0 || line[len - 1] != '\n') {
			buf_free(&out);
			return IO_EOF;      /* EOF inside DATA */
		}
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 1 && line[0] == '.')
			break;
		if (len > 0 && line[0] == '.') {
			line++;
			len--;
		}
		if (*too_big || *too_long)
			continue;
		if (*size + len + 1 > max) {
			*too_big = 1;
			continue;
		}
		buf_append(&out, line, len);
		buf_putc(&out, '\n');
		*size += len + 1;
		if (out.len >= 65536) {
			if (!write_failed && write_all(fd, out.p, out.len) < 0)
				write_failed = 1;
			buf_reset(&out);
		}
	}
	if (!write_failed && out.len && write_all(fd, out.p, out.len) < 0)
		write_failed = 1;
	buf_free(&out);
	return write_failed ? 1 : 0;
}
