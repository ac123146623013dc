/* smtp_data.c: the DATA and BDAT state machine.  Octet by octet (a line's
 * content in runs), so that a chunk boundary can fall anywhere.  DATA ends only at CRLF.CRLF (RFC 5321
 * 4.1.1.4); a bare CR, a bare LF or a NUL anywhere marks the message bad
 * (SMTP smuggling: "\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r\n.\r" never
 * end it) and from then on the data is only consumed, up to the real end,
 * never emitted and never read as commands.  Dot-unstuffing per RFC 5321
 * 4.5.2.  BDAT (RFC 3030) has no dots and no end marker, the same line
 * rules. */
#include <string.h>

#include "smtpd.h"

void
smtp_data_init(struct smtp_data *d, int bdat, size_t max_line, uint64_t max_size)
{
	memset(d, 0, sizeof(*d));
	d->bdat = bdat;
	d->st = SD_BOL;
	d->clean = 1;           /* the DATA command line ended in CRLF */
	d->max_line = max_line;
	d->max_size = max_size;
}

static void
emit(struct smtp_data *d, struct buf *out, const char *p, size_t n)
{
	if (d->size + n > d->max_size)
		d->flags |= SMTP_DATA_BIG;
	d->size += n;
	if (d->flags == 0)
		buf_append(out, p, n);
}

/* A run of line content (no CR, no LF): checked and passed on at once. */
static void
content(struct smtp_data *d, struct buf *out, const char *p, size_t n)
{
	if (memchr(p, '\0', n) != NULL)
		d->flags |= SMTP_DATA_NUL;
	d->linelen += n;
	if (d->linelen > d->max_line)
		d->flags |= SMTP_DATA_LONG;
	emit(d, out, p, n);
}

size_t
smtp_data_feed(struct smtp_data *d, const char *p, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n && !d->done; i++) {
		char c = p[i];
again:
		switch (d->st) {
		case SD_BOL:
			d->linelen = 0;
			if (c == '.' && !d->bdat) {
				d->st = SD_DOT;
				break;
			}
			d->st = SD_LINE;
			goto again;
		case SD_DOT:
			/* RFC 5321 4.5.2: the leading dot is removed. */
			if (c == '\r') {
				d->st = SD_DOT_CR;
				break;
			}
			d->st = SD_LINE;
			goto again;
		case SD_DOT_CR:
			if (c == '\n') {
				if (d->clean) {
					d->done = 1;    /* CRLF.CRLF */
					break;
				}
				/* "\n.\r\n": not the end; an empty line ends. */
				emit(d, out, "\r\n", 2);
				d->clean = 1;
				d->st = SD_BOL;
				break;
			}
			/* ".\r" then something else: a bare CR. */
			d->flags |= SMTP_DATA_BARE;
			d->st = SD_LINE;
			goto again;
		case SD_LINE:
			if (c == '\r') {
				d->st = SD_CR;
				break;
			}
			if (c == '\n') {
				d->flags |= SMTP_DATA_BARE;
				d->clean = 0;
				d->st = SD_BOL;
				break;
			}
			{
				/* the rest of the line that is in this chunk */
				size_t j = i + 1;

				while (j < n && p[j] != '\r' && p[j] != '\n')
					j++;
				content(d, out, p + i, j - i);
				i = j - 1;
			}
			break;
		case SD_CR:
			if (c == '\n') {
				emit(d, out, "\r\n", 2);
				d->clean = 1;
				d->st = SD_BOL;
				break;
			}
			d->flags |= SMTP_DATA_BARE;
			d->st = SD_LINE;
			goto again;
		}
	}
	return i;
}

void
smtp_data_finish(struct smtp_data *d)
{
	/* BDAT LAST: the message must end with a complete line. */
	if (d->st != SD_BOL)
		d->flags |= SMTP_DATA_BARE;
}
