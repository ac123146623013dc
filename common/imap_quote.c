/* imap_quote.c: quoted string / literal / NIL output for IMAP responses. */
#include <string.h>
#include "imap_quote.h"

#define QUOTED_MAX 1024

static void write_bytes_nonul(struct buf *out, const char *p, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\0') {
			buf_append(out, p + start, i - start);
			buf_putc(out, 0x80);
			start = i + 1;
		}
	}
	buf_append(out, p + start, len - start);
}

void imap_write_literal(struct buf *out, const char *p, size_t len)
{
	buf_printf(out, "{%zu}\r\n", len);
	write_bytes_nonul(out, p, len);
}

void imap_write_string(struct buf *out, const char *p, size_t len)
{
	int quotable = len <= QUOTED_MAX;

	/* RFC 3501 9: a quoted string holds 7-bit TEXT-CHARs only */
	for (size_t i = 0; quotable && i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80)
			quotable = 0;
	}
	if (!quotable) {
		imap_write_literal(out, p, len);
		return;
	}
	buf_reserve(out, len + 2);
	buf_putc(out, '"');
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			buf_append(out, p + start, i - start);
			buf_putc(out, '\\');
			start = i;
		}
	}
	buf_append(out, p + start, len - start);
	buf_putc(out, '"');
}

void imap_write_nstring(struct buf *out, const char *p, size_t len)
{
	if (p == NULL)
		buf_puts(out, "NIL");
	else
		imap_write_string(out, p, len);
}

void imap_write_cstring(struct buf *out, const char *s)
{
	imap_write_string(out, s, strlen(s));
}

void imap_write_ncstring(struct buf *out, const char *s)
{
	if (s == NULL)
		buf_puts(out, "NIL");
	else
		imap_write_string(out, s, strlen(s));
}

void imap_write_nstring_nolf(struct buf *out, const char *p, size_t len)
{
	struct buf t = BUF_INIT;

	if (p == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	if (memchr(p, '\r', len) == NULL && memchr(p, '\n', len) == NULL) {
		imap_write_string(out, p, len);
		return;
	}
	buf_reserve(&t, len);
	for (size_t i = 0; i < len; i++)
		if (p[i] != '\r' && p[i] != '\n')
			buf_putc(&t, p[i]);
	imap_write_string(out, t.p ? t.p : "", t.len);
	buf_free(&t);
}

void imap_write_nstring_collapse(struct buf *out, const char *p, size_t len)
{
	struct buf t = BUF_INIT;
	int space = 0;

	if (p == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	buf_reserve(&t, len);
	for (size_t i = 0; i < len; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n') {
			space = t.len > 0;
			continue;
		}
		if (space)
			buf_putc(&t, ' ');
		space = 0;
		buf_putc(&t, p[i]);
	}
	imap_write_string(out, t.p ? t.p : "", t.len);
	buf_free(&t);
}
