/* mime7bit.c: 8-bit to 7-bit conversion of a MIME message for a hop
 * without 8BITMIME (see mime7bit.h), on the tree common/message.c builds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "message.h"
#include "mime7bit.h"

#define QP_LINE 76   /* RFC 2045 6.7 rule 5, the "=" of a soft break included */

static const char hexdigits[] = "0123456789ABCDEF";

static int
has_8bit(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

static void
why_set(char *why, size_t whylen, const char *text)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", text);
}

void
mime7bit_qp_encode(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t end = i, next, col = 0, k;

		/* one line: [i, end), the line end (LF or CRLF) after it */
		while (end < len && p[end] != '\n')
			end++;
		next = end < len ? end + 1 : end;
		if (end < len && end > i && p[end - 1] == '\r')
			end--;
		for (k = i; k < end; k++) {
			unsigned char c = (unsigned char)p[k];
			char tok[3];
			size_t tl;

			if ((c >= 33 && c <= 126 && c != '=') ||
			    ((c == ' ' || c == '\t') && k + 1 < end)) {
				tok[0] = (char)c;
				tl = 1;
			} else {
				/* rule 1 and 3: '=', controls, 8-bit, and white
				 * space at the end of a line */
				tok[0] = '=';
				tok[1] = hexdigits[c >> 4];
				tok[2] = hexdigits[c & 15];
				tl = 3;
			}
			/* rule 5: room for this token plus a soft break's
			 * "=", unless it is the line's last token */
			if (col + tl > QP_LINE - 1 &&
			    !(k + 1 == end && col + tl <= QP_LINE)) {
				buf_puts(out, "=\n");
				col = 0;
			}
			buf_append(out, tok, tl);
			col += tl;
		}
		if (next > end)
			buf_putc(out, '\n');
		i = next;
	}
}

void
mime7bit_scan(const char *p, size_t len, int *eightbit, int *header8)
{
	struct message *msg;
	const struct message_part *part;

	*eightbit = has_8bit(p, len);
	*header8 = 0;
	if (!*eightbit)
		return;
	msg = message_parse(p, len, NULL);
	for (part = msg->root; part; ) {
		if (has_8bit(p + part->header_start,
		    part->body_start - part->header_start)) {
			*header8 = 1;
			break;
		}
		/* pre-order walk */
		if (part->children)
			part = part->children;
		else {
			while (part && !part->next)
				part = part->parent;
			if (part)
				part = part->next;
		}
	}
	message_free(msg);
}

/* One replacement of the input range [start, end) by text. */
struct edit {
	size_t start, end;
	struct buf text;
};

struct edits {
	struct edit *e;
	size_t n, cap;
};

static struct buf *
edit_add(struct edits *ed, size_t start, size_t end)
{
	struct edit *x;

	if (ed->n == ed->cap) {
		ed->cap = ed->cap ? ed->cap * 2 : 16;
		ed->e = xreallocarray(ed->e, ed->cap, sizeof *ed->e);
	}
	x = &ed->e[ed->n++];
	x->start = start;
	x->end = end;
	buf_init(&x->text);
	return &x->text;
}

static void
edits_free(struct edits *ed)
{
	size_t i;

	for (i = 0; i < ed->n; i++)
		buf_free(&ed->e[i].text);
	free(ed->e);
}

/* Replaces the part's Content-Transfer-Encoding fields by one saying cte
 * (at the first one's place, else after the last field); with mime_version
 * also adds MIME-Version when the header has none. */
static void
set_cte(const struct message *msg, const struct message_part *part,
    const char *cte, int mime_version, struct edits *ed)
{
	size_t i, at = part->header_start;
	int done = 0;

	if (part->nfields > 0)
		at = part->fields[part->nfields - 1].end;
	if (mime_version && !message_part_field(msg, part, "MIME-Version")) {
		struct buf *t = edit_add(ed, at, at);
		buf_puts(t, "MIME-Version: 1.0\n");
	}
	for (i = 0; i < part->nfields; i++) {
		const struct message_header_field *f = &part->fields[i];
		struct buf *t;

		if (!message_field_is(msg, f, "Content-Transfer-Encoding"))
			continue;
		t = edit_add(ed, f->start, f->end);
		if (!done)
			buf_printf(t, "Content-Transfer-Encoding: %s\n", cte);
		done = 1;
	}
	if (!done) {
		struct buf *t = edit_add(ed, at, at);
		buf_printf(t, "Content-Transfer-Encoding: %s\n", cte);
	}
}

static int
cte_is(const char *cte, const char *name)
{
	return cte && strcasecmp(cte, name) == 0;
}

static int
cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

int
mime7bit_convert(const char *p, size_t len, struct buf *out, char *why,
    size_t whylen)
{
	struct message *msg;
	const struct message_part *part;
	struct edits ed = { NULL, 0, 0 };
	struct buf res = BUF_INIT;
	size_t i, pos;
	int rc = MIME7BIT_CONVERTED;

	if (!has_8bit(p, len))
		return MIME7BIT_CLEAN;
	msg = message_parse(p, len, NULL);
	if (msg->degraded) {
		why_set(why, whylen, "message structure over the parser's limits");
		rc = MIME7BIT_IMPOSSIBLE;
		goto out;
	}
	for (part = msg->root; part; ) {
		const struct message_part *up;
		const char *body = p + part->body_start;
		size_t blen = part->body_end - part->body_start;
		int leaf = !(part->flags & (MESSAGE_PART_MULTIPART |
		    MESSAGE_PART_RFC822)) && !part->children;
		int in_message = 0;

		if (has_8bit(p + part->header_start,
		    part->body_start - part->header_start)) {
			why_set(why, whylen, "8-bit octets in a header field");
			rc = MIME7BIT_HEADER;
			goto out;
		}
		for (up = part->parent; up; up = up->parent)
			if (up->flags & MESSAGE_PART_RFC822)
				in_message = 1;
		if (!leaf) {
			/* RFC 2045 6.4: a composite type is 7bit, 8bit or
			 * binary; once its parts are 7 bit it is 7bit */
			if (cte_is(part->cte, "binary")) {
				why_set(why, whylen, "binary composite part");
				rc = MIME7BIT_IMPOSSIBLE;
				goto out;
			}
			if (!in_message && cte_is(part->cte, "8bit"))
				set_cte(msg, part, "7bit", 0, &ed);
		} else if (has_8bit(body, blen)) {
			const char *ct = part->content_type;

			if (in_message || (ct && (strcasecmp(ct, "message") == 0 ||
			    strcasecmp(ct, "multipart") == 0))) {
				why_set(why, whylen, "8-bit octets inside a message part");
				rc = MIME7BIT_IMPOSSIBLE;
				goto out;
			}
			if (part->cte && !cte_is(part->cte, "7bit") &&
			    !cte_is(part->cte, "8bit")) {
				why_set(why, whylen, cte_is(part->cte, "binary") ?
				    "binary part" :
				    "8-bit octets in an encoded part");
				rc = MIME7BIT_IMPOSSIBLE;
				goto out;
			}
			set_cte(msg, part, "quoted-printable", part == msg->root,
			    &ed);
			mime7bit_qp_encode(body, blen,
			    edit_add(&ed, part->body_start, part->body_end));
		}
		/* pre-order walk: document order */
		if (part->children)
			part = part->children;
		else {
			while (part && !part->next)
				part = part->parent;
			if (part)
				part = part->next;
		}
	}
	/* edits at one place keep the order they were made in */
	for (i = 1; i < ed.n; i++)
		if (ed.e[i].start < ed.e[i - 1].start)
			break;
	if (i < ed.n)
		qsort(ed.e, ed.n, sizeof *ed.e, cmp_edit);
	pos = 0;
	for (i = 0; i < ed.n; i++) {
		if (ed.e[i].start < pos) {   /* overlapping: a bug, never guess */
			why_set(why, whylen, "internal: overlapping edits");
			rc = MIME7BIT_IMPOSSIBLE;
			goto out;
		}
		buf_append(&res, p + pos, ed.e[i].start - pos);
		buf_append(&res, ed.e[i].text.p, ed.e[i].text.len);
		pos = ed.e[i].end;
	}
	buf_append(&res, p + pos, len - pos);
	/* what no encoding reached: preamble, epilogue */
	if (has_8bit(res.p, res.len)) {
		why_set(why, whylen, "8-bit octets outside any convertible part");
		rc = MIME7BIT_IMPOSSIBLE;
		goto out;
	}
	buf_append(out, res.p, res.len);
out:
	buf_free(&res);
	edits_free(&ed);
	message_free(msg);
	return rc;
}

/* Maps the first size bytes of fd: 0 with *map and *len (len 0: *map
 * NULL), or -1 with errno. */
static int
map_fd(int fd, unsigned long long size, void **map, size_t *len)
{
	struct stat st;

	*map = NULL;
	*len = 0;
	if (fstat(fd, &st) < 0)
		return -1;
	if (st.st_size < 0 || (unsigned long long)st.st_size < size) {
		errno = EIO;
		return -1;
	}
	if (size == 0)
		return 0;
	if (size > (size_t)-1 / 2) {
		errno = EFBIG;
		return -1;
	}
	*map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (*map == MAP_FAILED) {
		*map = NULL;
		return -1;
	}
	*len = (size_t)size;
	return 0;
}

int
mime7bit_scan_fd(int fd, unsigned long long size, int *eightbit, int *header8)
{
	void *map;
	size_t len;

	*eightbit = *header8 = 0;
	if (map_fd(fd, size, &map, &len) < 0)
		return -1;
	if (map) {
		mime7bit_scan(map, len, eightbit, header8);
		munmap(map, len);
	}
	return 0;
}

int
mime7bit_convert_fd(int fd, unsigned long long size, int *outfd,
    unsigned long long *outlen, char *why, size_t whylen)
{
	struct buf out = BUF_INIT;
	void *map;
	size_t len, off = 0;
	int rc, mfd;

	*outfd = -1;
	*outlen = 0;
	if (map_fd(fd, size, &map, &len) < 0) {
		why_set(why, whylen, strerror(errno));
		return MIME7BIT_ERROR;
	}
	if (!map)
		return MIME7BIT_CLEAN;
	rc = mime7bit_convert(map, len, &out, why, whylen);
	munmap(map, len);
	if (rc != MIME7BIT_CONVERTED) {
		buf_free(&out);
		return rc;
	}
	mfd = memfd_create("postern-7bit", MFD_CLOEXEC);
	if (mfd < 0) {
		why_set(why, whylen, strerror(errno));
		buf_free(&out);
		return MIME7BIT_ERROR;
	}
	while (off < out.len) {
		ssize_t n = write(mfd, out.p + off, out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			why_set(why, whylen, n < 0 ? strerror(errno) : "short write");
			close(mfd);
			buf_free(&out);
			return MIME7BIT_ERROR;
		}
		off += (size_t)n;
	}
	*outfd = mfd;
	*outlen = out.len;
	buf_free(&out);
	return MIME7BIT_CONVERTED;
}
