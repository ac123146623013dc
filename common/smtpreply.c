/* smtpreply.c: bounded parser of SMTP replies for the client side
 * (rules in smtpreply.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpreply.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->status[0] = '\0';
	r->text[0] = '\0';
	r->text_len = 0;
	r->nlines = 0;
	r->done = 0;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3463 2: class "." subject "." detail, subject and detail 1-3 digits,
 * class matching the reply code's first digit. */
static void
parse_status(struct smtp_reply *r, const char *p, size_t len)
{
	size_t i = 0, n;
	int part;

	if (len < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    (unsigned)(p[0] - '0') != r->code / 100 || p[1] != '.')
		return;
	i = 2;
	for (part = 0; part < 2; part++) {
		n = 0;
		while (i < len && is_digit(p[i]) && n < 4) {
			i++;
			n++;
		}
		if (n == 0 || n > 3)
			return;
		if (part == 0) {
			if (i >= len || p[i] != '.')
				return;
			i++;
		}
	}
	if (i < len && p[i] != ' ' && p[i] != '\t')
		return;
	memcpy(r->status, p, i);
	r->status[i] = '\0';
}

static void
add_text(struct smtp_reply *r, const char *p, size_t len)
{
	size_t i, room;

	if (r->nlines > 0 && r->text_len < SMTP_REPLY_MAX_TEXT)
		r->text[r->text_len++] = '\n';
	room = SMTP_REPLY_MAX_TEXT - r->text_len;
	if (len > room)
		len = room;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		r->text[r->text_len++] = (c < 0x20 && c != '\t') || c == 0x7f ?
		    '?' : (char)c;
	}
	r->text[r->text_len] = '\0';
}

int
smtp_reply_feed(struct smtp_reply *r, const char *p, size_t len)
{
	unsigned code;
	int last;

	if (r->done || r->nlines >= SMTP_REPLY_MAX_LINES ||
	    len > SMTP_REPLY_MAX_LINE)
		return -1;
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len < 3 || p[0] < '2' || p[0] > '5' || !is_digit(p[1]) ||
	    !is_digit(p[2]))
		return -1;
	code = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
	    (unsigned)(p[2] - '0');
	if (len == 3)
		last = 1;
	else if (p[3] == ' ')
		last = 1;
	else if (p[3] == '-')
		last = 0;
	else
		return -1;
	if (r->nlines > 0 && code != r->code)
		return -1;
	if (r->nlines == 0) {
		r->code = code;
		if (len > 4)
			parse_status(r, p + 4, len - 4);
	}
	add_text(r, len > 4 ? p + 4 : "", len > 4 ? len - 4 : 0);
	r->nlines++;
	if (last)
		r->done = 1;
	return last;
}

int
smtp_reply_parse(struct smtp_reply *r, const char *p, size_t len)
{
	size_t i = 0;
	int rc = 0;

	smtp_reply_init(r);
	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (p + i)) + 1 : len - i;

		if (rc == 1)
			return -1;
		if (!nl)
			return n > SMTP_REPLY_MAX_LINE ? -1 : 0;
		rc = smtp_reply_feed(r, p + i, n);
		if (rc < 0)
			return -1;
		i += n;
	}
	return rc;
}

unsigned
smtp_reply_class(const struct smtp_reply *r)
{
	return r->done ? r->code / 100 : 0;
}

int
smtp_reply_ehlo_has(const struct smtp_reply *r, const char *keyword,
    const char **param, size_t *plen)
{
	const char *t = r->text, *end = r->text + r->text_len;
	const char *nl = memchr(t, '\n', r->text_len);
	size_t kwlen = strlen(keyword);

	if (!r->done || r->code != 250)
		return 0;
	while (nl) {
		const char *line = nl + 1, *le;
		size_t n;

		nl = memchr(line, '\n', (size_t)(end - line));
		le = nl ? nl : end;
		n = (size_t)(le - line);
		if (n >= kwlen && strncasecmp(line, keyword, kwlen) == 0 &&
		    (n == kwlen || line[kwlen] == ' ' || line[kwlen] == '=')) {
			const char *q = line + kwlen;
			while (q < le && (*q == ' ' || *q == '='))
				q++;
			if (param)
				*param = q;
			if (plen)
				*plen = (size_t)(le - q);
			return 1;
		}
	}
	return 0;
}

void
smtp_reply_diag(const struct smtp_reply *r, char *out, size_t outlen)
{
	size_t o = 0, i;
	int n;

	if (outlen == 0)
		return;
	n = snprintf(out, outlen, "%03u", r->code);
	if (n < 0 || (size_t)n >= outlen) {
		out[outlen - 1] = '\0';
		return;
	}
	o = (size_t)n;
	if (r->text_len > 0 && o + 1 < outlen)
		out[o++] = ' ';
	for (i = 0; i < r->text_len && o + 1 < outlen; i++)
		out[o++] = r->text[i] == '\n' ? ' ' : r->text[i];
	out[o] = '\0';
}
