/* imap_fetch_whole.c: the fast path of FETCH for the whole message
 * (BODY[], BODY.PEEK[], RFC822 without a partial range): the file is read
 * into one reused buffer with large reads and written as a literal in one
 * pass (bare LF to CRLF, NUL to 0x80 as imap_write_literal does), with no
 * MIME parse and no per-message mapping.  The bytes sent are those of the
 * general path (imap_section_fetch + imap_partial_write). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "imap_msgcmd.h"

/* Read at most this much per read(2). */
#define WHOLE_READ_CHUNK (1u << 20)
/* Larger files take the general path (mapped, not copied into memory). */
#define WHOLE_FILE_MAX ((off_t)16 << 20)

static int
item_is_whole(const struct fitem *it)
{
	if (it->kind == F_RFC822)
		return 1;
	return it->kind == F_SECTION && it->sec.kind == IMAP_SECTION_ALL &&
	    it->sec.nnums == 0 && !it->partial;
}

int
imap_fetch_whole_only(const struct freq *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		const struct fitem *it = &r->items[i];
		switch (it->kind) {
		case F_SECTION:
		case F_RFC822:
			if (!item_is_whole(it))
				return 0;
			n++;
			break;
		case F_BINARY:
		case F_BINARY_SIZE:
		case F_RFC822_HEADER:
		case F_RFC822_TEXT:
			return 0;
		default:
			break;
		}
	}
	return n > 0;
}

int
imap_fetch_whole_item(const struct fitem *it)
{
	return item_is_whole(it);
}

int
imap_fetch_whole_load(struct imap_session *s, struct imap_msg *m,
    struct buf *data)
{
	struct stat st;
	int fd, saved;
	size_t want;

	buf_reset(data);
	fd = imap_msg_open(s, m);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < 0)
		goto fail;
	if (st.st_size > WHOLE_FILE_MAX) {
		close(fd);
		return 1;
	}
	if (!m->have_date) {
		/* INTERNALDATE is the file's mtime (imap_msg_internaldate) */
		m->internaldate = st.st_mtime;
		m->have_date = 1;
	}
	want = (size_t)st.st_size;
	buf_reserve(data, want + 1);
	while (data->len < want) {
		size_t n = want - data->len;
		ssize_t r;
		if (n > WHOLE_READ_CHUNK)
			n = WHOLE_READ_CHUNK;
		r = read(fd, data->p + data->len, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;     /* shorter than it was: send what is there */
		data->len += (size_t)r;
	}
	close(fd);
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

void
imap_fetch_whole_write(const char *p, size_t len, struct buf *out)
{
	const char *lf, *src = p, *end = p + len;
	size_t extra = 0, start, k, total;
	char *dst;

	/* RFC 3501 4.3: CRLF line ends; a bare LF gets its CR (the byte
	 * before each LF is looked up in the source) */
	for (k = 0; k < len && (lf = memchr(p + k, '\n', len - k)) != NULL;
	    k = (size_t)(lf - p) + 1)
		if (lf == p || lf[-1] != '\r')
			extra++;
	total = size_add(len, extra);
	buf_printf(out, "{%zu}\r\n", total);
	buf_reserve(out, total);
	start = out->len;
	dst = out->p + start;
	while (src < end && (lf = memchr(src, '\n', (size_t)(end - src))) != NULL) {
		size_t n = (size_t)(lf - src);
		memcpy(dst, src, n);
		dst += n;
		if (lf == p || lf[-1] != '\r')
			*dst++ = '\r';
		*dst++ = '\n';
		src = lf + 1;
	}
	memcpy(dst, src, (size_t)(end - src));
	out->len = start + total;
	/* a literal carries no NUL (imap_write_literal writes 0x80) */
	if (memchr(out->p + start, '\0', total) != NULL)
		for (k = start; k < out->len; k++)
			if (out->p[k] == '\0')
				out->p[k] = (char)0x80;
}
