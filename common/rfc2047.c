/* rfc2047.c: encoded-word decoder and charset conversion to UTF-8. */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include "rfc2047.h"
#include "base64.h"
#include "qp.h"

static const char utf8_replacement[] = "\xEF\xBF\xBD";

/* Length of a valid UTF-8 sequence at s (at most n octets), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need, i;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) { need = 2; cp = c & 0x1F; }
	else if (c >= 0xE0 && c <= 0xEF) { need = 3; cp = c & 0x0F; }
	else if (c >= 0xF0 && c <= 0xF4) { need = 4; cp = c & 0x07; }
	else return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

void utf8_sanitize(const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, start = 0;

	while (i < len) {
		size_t n = utf8_seq_len(s + i, len - i);
		if (n == 0) {
			buf_append(out, s + start, i - start);
			buf_append(out, utf8_replacement, 3);
			i++;
			start = i;
		} else {
			i += n;
		}
	}
	buf_append(out, s + start, i - start);
}

static int charset_is_utf8(const char *cs)
{
	return cs == NULL || *cs == '\0' || strcasecmp(cs, "utf-8") == 0 ||
	       strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "us-ascii") == 0 ||
	       strcasecmp(cs, "ascii") == 0;
}

int charset_to_utf8(const char *charset, const char *p, size_t len, struct buf *out)
{
	iconv_t cd;
	char tmp[1024];
	char *in = (char *)p;
	size_t inleft = len;

	if (charset_is_utf8(charset)) {
		utf8_sanitize(p, len, out);
		return 0;
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		utf8_sanitize(p, len, out);
		return -1;
	}
	while (inleft > 0) {
		char *o = tmp;
		size_t oleft = sizeof(tmp);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		buf_append(out, tmp, sizeof(tmp) - oleft);
		if (r == (size_t)-1) {
			if (errno == E2BIG)
				continue;
			/* EILSEQ or EINVAL (truncated input): skip one octet */
			buf_append(out, utf8_replacement, 3);
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	{
		char *o = tmp;
		size_t oleft = sizeof(tmp);
		iconv(cd, NULL, NULL, &o, &oleft);  /* flush shift state */
		buf_append(out, tmp, sizeof(tmp) - oleft);
	}
	iconv_close(cd);
	return 0;
}

/* Try to decode one encoded word at s[0..n) which starts with "=?".
 * On success append its text and return its length, else 0. */
static size_t encoded_word(const char *s, size_t n, struct buf *out)
{
	size_t i = 2, cs_start = 2, cs_end, enc, text_start, text_end;
	char charset[64];
	size_t cslen;
	struct buf raw = BUF_INIT;

	while (i < n && i < 80 && s[i] != '?' && s[i] != ' ' && s[i] != '\t' &&
	       s[i] != '\r' && s[i] != '\n')
		i++;
	if (i >= n || s[i] != '?')
		return 0;
	cs_end = i;
	if (i + 2 >= n || s[i + 2] != '?')
		return 0;
	enc = (unsigned char)s[i + 1];
	text_start = i + 3;
	/* bound the scan so that "=?=?=?..." stays linear */
	if (n > text_start + 1024)
		n = text_start + 1024;
	for (i = text_start; i + 1 < n; i++) {
		if (s[i] == '?' && s[i + 1] == '=')
			break;
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			return 0;
	}
	if (i + 1 >= n)
		return 0;
	text_end = i;
	/* RFC 2231 5: charset*language */
	cslen = cs_end - cs_start;
	for (size_t k = cs_start; k < cs_end; k++)
		if (s[k] == '*') {
			cslen = k - cs_start;
			break;
		}
	if (cslen == 0 || cslen >= sizeof(charset))
		return 0;
	memcpy(charset, s + cs_start, cslen);
	charset[cslen] = '\0';
	if (enc == 'B' || enc == 'b')
		base64_decode_mime(s + text_start, text_end - text_start, &raw);
	else if (enc == 'Q' || enc == 'q')
		qp_decode_q(s + text_start, text_end - text_start, &raw);
	else
		return 0;
	charset_to_utf8(charset, raw.p ? raw.p : "", raw.len, out);
	buf_free(&raw);
	return text_end + 2;
}

void rfc2047_decode(const char *p, size_t len, struct buf *out)
{
	size_t i = 0, lit = 0;       /* lit: start of pending literal text */
	size_t ws_start = 0;
	int last_was_word = 0;

	while (i < len) {
		if (p[i] == '=' && i + 1 < len && p[i + 1] == '?') {
			struct buf w = BUF_INIT;
			size_t n = encoded_word(p + i, len - i, &w);
			if (n > 0) {
				/* RFC 2047 6.2: white space between words goes */
				size_t keep_to = i;
				if (last_was_word && ws_start == lit)
					keep_to = lit;
				else
					keep_to = i;
				if (keep_to > lit) {
					struct buf t = BUF_INIT;
					for (size_t k = lit; k < keep_to; k++)
						if (p[k] != '\r' && p[k] != '\n')
							buf_putc(&t, p[k]);
					utf8_sanitize(t.p ? t.p : "", t.len, out);
					buf_free(&t);
				}
				buf_append(out, w.p ? w.p : "", w.len);
				buf_free(&w);
				i += n;
				lit = i;
				ws_start = i;
				last_was_word = 1;
				continue;
			}
			buf_free(&w);
		}
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
			last_was_word = 0;
		}
		i++;
	}
	if (len > lit) {
		struct buf t = BUF_INIT;
		for (size_t k = lit; k < len; k++)
			if (p[k] != '\r' && p[k] != '\n')
				buf_putc(&t, p[k]);
		utf8_sanitize(t.p ? t.p : "", t.len, out);
		buf_free(&t);
	}
}
