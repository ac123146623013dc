/* lines.c: the line walk shared by the readers of small text files
 * (see lines.h). */
#include <string.h>
#include "lines.h"

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

enum lines_status
lines_next(struct lines *it, const char **line, size_t *len)
{
	const char *s, *nl;
	size_t end, n, i;

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
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return LINES_CONTROL;
	}
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
