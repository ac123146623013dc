/* qp.c: quoted-printable body decoder and RFC 2047 Q decoder. */
#include "qp.h"

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

/* Decode [s, end) holding no line end; returns broken escapes; *soft set
 * when the text ends in a soft line break "=". */
static size_t qp_line(const unsigned char *s, size_t end, struct buf *out, int *soft)
{
	size_t j = 0, bad = 0;

	*soft = 0;
	while (j < end) {
		size_t k = j;
		while (k < end && s[k] != '=')
			k++;
		buf_append(out, s + j, k - j);
		if (k >= end)
			break;
		if (k + 1 == end) {
			*soft = 1;
			break;
		}
		if (k + 2 < end && hexval(s[k + 1]) >= 0 && hexval(s[k + 2]) >= 0) {
			buf_putc(out, hexval(s[k + 1]) * 16 + hexval(s[k + 2]));
			j = k + 3;
			continue;
		}
		bad++;
		buf_putc(out, '=');
		j = k + 1;
	}
	return bad;
}

size_t qp_decode(const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, bad = 0;

	buf_reserve(out, len);
	while (i < len) {
		size_t eol = i, end;
		int crlf = 0, soft;

		while (eol < len && s[eol] != '\n')
			eol++;
		end = eol;
		if (eol < len && end > i && s[end - 1] == '\r') {
			end--;
			crlf = 1;
		}
		/* RFC 2045 6.7 (3): trailing white space is not data */
		while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		bad += qp_line(s + i, end - i, out, &soft);
		if (eol < len) {
			if (!soft)
				buf_append(out, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
			i = eol + 1;
		} else {
			i = len;
		}
	}
	return bad;
}

size_t qp_decode_q(const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, bad = 0;

	while (i < len) {
		if (s[i] == '_') {
			buf_putc(out, ' ');
			i++;
		} else if (s[i] == '=' &&
			   i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			buf_putc(out, hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 3;
		} else {
			if (s[i] == '=')
				bad++;
			buf_putc(out, s[i]);
			i++;
		}
	}
	return bad;
}
