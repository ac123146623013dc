/* pop3_stuff.c: a stored message (LF line ends, or CRLF, or a mix) as the
 * body of a POP3 multi-line reply (RFC 1939 3): every LF not preceded by
 * CR goes out as CR LF, a line starting with '.' gets one more '.', and
 * the reply ends in ".\r\n".  TOP (RFC 1939 7) stops after the header,
 * the blank line that ends it, and the first n lines of the body.  The
 * converter works on chunks of any size and keeps its state between them,
 * so a message is streamed from the file without being held whole. */
#include <string.h>
#include "pop3.h"

void
pop3_stuff_init(struct pop3_stuff *st, int top, uint32_t body_lines)
{
	memset(st, 0, sizeof(*st));
	st->top = top;
	st->body_lines = body_lines;
	st->in_header = 1;
	st->at_line_start = 1;
}

/* A complete line ended: the TOP bookkeeping. */
static void
line_done(struct pop3_stuff *st, int empty)
{
	if (!st->top)
		return;
	if (st->in_header) {
		if (empty) {
			st->in_header = 0;
			if (st->body_lines == 0)
				st->done = 1;
		}
	} else if (st->body_lines > 0 && --st->body_lines == 0) {
		st->done = 1;
	}
}

int
pop3_stuff_append(struct pop3_stuff *st, const char *p, size_t len,
    struct buf *out)
{
	while (len > 0 && !st->done) {
		const char *nl = memchr(p, '\n', len);
		size_t seg = nl ? (size_t)(nl - p) + 1 : len;
		size_t content = nl ? seg - 1 : seg;

		/* RFC 1939 3: byte-stuff a line that starts with '.' */
		if (st->at_line_start && p[0] == '.')
			buf_putc(out, '.');
		if (nl != NULL) {
			int cr_before = content > 0 ? p[content - 1] == '\r' :
			    st->prev_cr;
			size_t total = st->line_len + content;
			int empty = total == 0 || (total == 1 &&
			    (content == 1 ? p[0] == '\r' : st->line_cr_only));

			buf_append(out, p, content);
			if (cr_before) {
				buf_putc(out, '\n');
				st->sent += content + 1;
			} else {
				buf_append(out, "\r\n", 2);
				st->sent += content + 2;
			}
			st->at_line_start = 1;
			st->prev_cr = 0;
			st->line_len = 0;
			st->line_cr_only = 0;
			line_done(st, empty);
		} else {
			buf_append(out, p, content);
			st->sent += content;
			st->line_cr_only = st->line_len == 0 && content == 1 &&
			    p[0] == '\r';
			st->line_len += content;
			st->at_line_start = 0;
			st->prev_cr = p[content - 1] == '\r';
		}
		p += seg;
		len -= seg;
	}
	return st->done;
}

void
pop3_stuff_finish(struct pop3_stuff *st, struct buf *out)
{
	/* the terminating dot must stand on a line of its own */
	if (!st->at_line_start)
		buf_puts(out, st->prev_cr ? "\n" : "\r\n");
	buf_puts(out, ".\r\n");
	st->at_line_start = 1;
}
