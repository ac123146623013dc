/* esmtp_params.c: MAIL/RCPT parameter parsing and xtext (see esmtp_params.h). */
#include "esmtp_params.h"
#include "buf.h"
#include "smtpaddr.h"

#include <string.h>
#include <strings.h>

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long
xtext_decode(const char *p, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	if (outlen == 0)
		return -1;
	while (i < len) {
		unsigned char c = (unsigned char)p[i];
		int v;
		if (c == '+') {
			int h, l;
			if (len - i < 3)
				return -1;
			h = hexval((unsigned char)p[i + 1]);
			l = hexval((unsigned char)p[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			v = h * 16 + l;
			i += 3;
		} else if (c >= 33 && c <= 126 && c != '=') {
			v = c;
			i++;
		} else
			return -1;
		if (v < 0x20 || v == 0x7f)
			return -1;
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)v;
	}
	out[o] = 0;
	if (!smtpaddr_utf8_valid(out, o))
		return -1;
	return (long)o;
}

void
xtext_encode(struct buf *b, const char *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 33 || c > 126 || c == '+' || c == '=') {
			char t[3] = { '+', hex[c >> 4], hex[c & 15] };
			buf_append(b, t, 3);
		} else
			buf_putc(b, c);
	}
}

long
orcpt_decode(const char *type, const char *p, size_t len, char *out, size_t outlen)
{
	char tmp[ESMTP_ORCPT_MAX + 1];
	long n;
	size_t i = 0, o = 0;

	if (strcasecmp(type, "utf-8") != 0)
		return xtext_decode(p, len, out, outlen);
	if ((n = xtext_decode(p, len, tmp, sizeof(tmp))) < 0)
		return -1;
	while (i < (size_t)n) {
		unsigned char u[4];
		size_t k = 0, j;
		unsigned long cp = 0;
		if (tmp[i] != '\\') {
			u[k++] = (unsigned char)tmp[i++];
		} else {
			/* RFC 6533: "\x{" 2-6 HEXDIG "}" */
			if ((size_t)n - i < 6 || tmp[i + 1] != 'x' || tmp[i + 2] != '{')
				return -1;
			for (j = i + 3; j < (size_t)n && tmp[j] != '}' && j - i - 3 < 6; j++) {
				int h = hexval((unsigned char)tmp[j]);
				if (h < 0)
					return -1;
				cp = cp * 16 + (unsigned long)h;
			}
			if (j >= (size_t)n || tmp[j] != '}' || j - i - 3 < 2)
				return -1;
			if (cp < 0x20 || cp == 0x7f || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
				return -1;
			if (cp < 0x80)
				u[k++] = (unsigned char)cp;
			else if (cp < 0x800) {
				u[k++] = (unsigned char)(0xc0 | cp >> 6);
				u[k++] = (unsigned char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				u[k++] = (unsigned char)(0xe0 | cp >> 12);
				u[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				u[k++] = (unsigned char)(0x80 | (cp & 0x3f));
			} else {
				u[k++] = (unsigned char)(0xf0 | cp >> 18);
				u[k++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
				u[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				u[k++] = (unsigned char)(0x80 | (cp & 0x3f));
			}
			i = j + 1;
		}
		if (o + k >= outlen)
			return -1;
		memcpy(out + o, u, k);
		o += k;
	}
	out[o] = 0;
	if (!smtpaddr_utf8_valid(out, o))
		return -1;
	return (long)o;
}

void
orcpt_encode(struct buf *b, const char *type, const char *addr, size_t len)
{
	buf_puts(b, type);
	buf_putc(b, ';');
	if (strcasecmp(type, "utf-8") != 0) {
		xtext_encode(b, addr, len);
		return;
	}
	for (size_t i = 0; i < len;) {
		const unsigned char *u = (const unsigned char *)addr + i;
		size_t n = smtpaddr_utf8_seq(u, len - i);
		unsigned long cp;
		if (n == 0) {           /* not UTF-8: keep the byte, xtext-style */
			buf_printf(b, "+%02X", u[0]);
			i++;
			continue;
		}
		if (n == 1 && u[0] > 0x20 && u[0] < 0x7f && u[0] != '+' && u[0] != '=' &&
		    u[0] != '\\') {
			buf_putc(b, u[0]);
		} else {
			cp = n == 1 ? u[0] : n == 2 ? (u[0] & 0x1fUL) : n == 3 ? (u[0] & 0x0fUL) :
			    (u[0] & 0x07UL);
			for (size_t k = 1; k < n; k++)
				cp = cp << 6 | (u[k] & 0x3f);
			buf_printf(b, "\\x{%02lX}", cp);
		}
		i += n;
	}
}

/* Iterates over space-separated "KEYWORD[=value]" items. */
struct param_iter {
	const char *p;
	size_t len, i;
};

/* Returns 1 with key/value set, 0 at the end, -1 on a syntax error. */
static int
next_param(struct param_iter *it, const char **key, size_t *klen,
    const char **val, size_t *vlen, int *has_val)
{
	size_t s;

	while (it->i < it->len && it->p[it->i] == ' ')
		it->i++;
	if (it->i >= it->len)
		return 0;
	s = it->i;
	/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	while (it->i < it->len) {
		unsigned char c = (unsigned char)it->p[it->i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && it->i > s))
			it->i++;
		else
			break;
	}
	if (it->i == s)
		return -1;
	*key = it->p + s;
	*klen = it->i - s;
	*has_val = 0;
	*val = NULL;
	*vlen = 0;
	if (it->i < it->len && it->p[it->i] == '=') {
		it->i++;
		s = it->i;
		/* esmtp-value = 1*(%d33-60 / %d62-126) (RFC 6531 adds UTF-8;
		 * none of our values need it) */
		while (it->i < it->len) {
			unsigned char c = (unsigned char)it->p[it->i];
			if (c >= 33 && c <= 126 && c != '=')
				it->i++;
			else
				break;
		}
		if (it->i == s)
			return -1;
		*val = it->p + s;
		*vlen = it->i - s;
		*has_val = 1;
	}
	if (it->i < it->len && it->p[it->i] != ' ')
		return -1;
	return 1;
}

static int
keyeq(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && strncasecmp(k, name, klen) == 0;
}

int
esmtp_parse_mail_params(const char *p, size_t len, unsigned ext,
    struct esmtp_mail_params *out, const char **reason)
{
	struct param_iter it = { p, len, 0 };
	const char *k, *v;
	size_t kl, vl;
	int hv, r;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	while ((r = next_param(&it, &k, &kl, &v, &vl, &hv)) == 1) {
		unsigned bit;
		if (keyeq(k, kl, "SIZE") && (ext & ESMTP_EXT_SIZE)) {
			bit = 1;
			uint64_t n = 0;
			if (!hv || vl > 20) {
				*reason = "bad SIZE parameter";
				return ESMTP_SYNTAX;
			}
			for (size_t j = 0; j < vl; j++) {
				unsigned d = (unsigned char)v[j] - '0';
				if (d > 9 || n > (UINT64_MAX - d) / 10) {
					*reason = "bad SIZE parameter";
					return ESMTP_SYNTAX;
				}
				n = n * 10 + d;
			}
			out->has_size = 1;
			out->size = n;
		} else if (keyeq(k, kl, "BODY") &&
		    (ext & (ESMTP_EXT_8BITMIME | ESMTP_EXT_BINARYMIME))) {
			bit = 2;
			if (hv && keyeq(v, vl, "7BIT"))
				out->body = ESMTP_BODY_7BIT;
			else if (hv && keyeq(v, vl, "8BITMIME") && (ext & ESMTP_EXT_8BITMIME))
				out->body = ESMTP_BODY_8BITMIME;
			else if (hv && keyeq(v, vl, "BINARYMIME") && (ext & ESMTP_EXT_BINARYMIME))
				out->body = ESMTP_BODY_BINARYMIME;
			else {
				*reason = "bad BODY parameter";
				return ESMTP_SYNTAX;
			}
		} else if (keyeq(k, kl, "SMTPUTF8") && (ext & ESMTP_EXT_SMTPUTF8)) {
			bit = 4;
			if (hv) {
				*reason = "SMTPUTF8 takes no value";
				return ESMTP_SYNTAX;
			}
			out->smtputf8 = 1;
		} else if (keyeq(k, kl, "RET") && (ext & ESMTP_EXT_DSN)) {
			bit = 8;
			if (hv && keyeq(v, vl, "FULL"))
				out->ret = ESMTP_RET_FULL;
			else if (hv && keyeq(v, vl, "HDRS"))
				out->ret = ESMTP_RET_HDRS;
			else {
				*reason = "bad RET parameter";
				return ESMTP_SYNTAX;
			}
		} else if (keyeq(k, kl, "ENVID") && (ext & ESMTP_EXT_DSN)) {
			bit = 16;
			if (!hv || xtext_decode(v, vl, out->envid, sizeof(out->envid)) < 0) {
				*reason = "bad ENVID parameter";
				return ESMTP_SYNTAX;
			}
			/* RFC 3461 4.4: printable US-ASCII */
			for (size_t j = 0; out->envid[j]; j++)
				if ((unsigned char)out->envid[j] > 126) {
					*reason = "bad ENVID parameter";
					return ESMTP_SYNTAX;
				}
			out->has_envid = 1;
		} else if (keyeq(k, kl, "AUTH") && (ext & ESMTP_EXT_AUTH)) {
			bit = 32;
			if (!hv) {
				*reason = "bad AUTH parameter";
				return ESMTP_SYNTAX;
			}
			if (vl == 2 && v[0] == '<' && v[1] == '>') {
				out->auth_null = 1;
				out->auth[0] = 0;
			} else if (xtext_decode(v, vl, out->auth, sizeof(out->auth)) < 0) {
				*reason = "bad AUTH parameter";
				return ESMTP_SYNTAX;
			}
			out->has_auth = 1;
		} else {
			*reason = "unrecognized MAIL parameter";
			return ESMTP_UNRECOGNIZED;
		}
		if (seen & bit) {
			*reason = "duplicate MAIL parameter";
			return ESMTP_UNRECOGNIZED;
		}
		seen |= bit;
	}
	if (r < 0) {
		*reason = "syntax error in MAIL parameters";
		return ESMTP_SYNTAX;
	}
	return ESMTP_OK;
}

static int
parse_notify(const char *v, size_t vl, unsigned *out)
{
	unsigned n = 0;
	size_t i = 0;

	while (i <= vl) {
		size_t s = i;
		unsigned bit;
		while (i < vl && v[i] != ',')
			i++;
		if (keyeq(v + s, i - s, "NEVER"))
			bit = ESMTP_NOTIFY_NEVER;
		else if (keyeq(v + s, i - s, "SUCCESS"))
			bit = ESMTP_NOTIFY_SUCCESS;
		else if (keyeq(v + s, i - s, "FAILURE"))
			bit = ESMTP_NOTIFY_FAILURE;
		else if (keyeq(v + s, i - s, "DELAY"))
			bit = ESMTP_NOTIFY_DELAY;
		else
			return -1;
		if (n & bit)
			return -1;
		n |= bit;
		i++;  /* past ',' (or past the end: loop ends) */
	}
	/* RFC 3461 4.1: NEVER must appear alone */
	if ((n & ESMTP_NOTIFY_NEVER) && n != ESMTP_NOTIFY_NEVER)
		return -1;
	*out = n;
	return 0;
}

int
esmtp_parse_rcpt_params(const char *p, size_t len, unsigned ext,
    struct esmtp_rcpt_params *out, const char **reason)
{
	struct param_iter it = { p, len, 0 };
	const char *k, *v;
	size_t kl, vl;
	int hv, r;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	while ((r = next_param(&it, &k, &kl, &v, &vl, &hv)) == 1) {
		unsigned bit;
		if (keyeq(k, kl, "NOTIFY") && (ext & ESMTP_EXT_DSN)) {
			bit = 1;
			if (!hv || parse_notify(v, vl, &out->notify) < 0) {
				*reason = "bad NOTIFY parameter";
				return ESMTP_SYNTAX;
			}
		} else if (keyeq(k, kl, "ORCPT") && (ext & ESMTP_EXT_DSN)) {
			const char *semi;
			size_t tl;
			bit = 2;
			if (!hv || vl > ESMTP_ORCPT_MAX || !(semi = memchr(v, ';', vl))) {
				*reason = "bad ORCPT parameter";
				return ESMTP_SYNTAX;
			}
			tl = (size_t)(semi - v);
			/* addr-type = atom (RFC 3461 4.2) */
			if (tl == 0 || tl > ESMTP_ADDRTYPE_MAX) {
				*reason = "bad ORCPT address type";
				return ESMTP_SYNTAX;
			}
			for (size_t j = 0; j < tl; j++) {
				unsigned char c = (unsigned char)v[j];
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				    (c >= '0' && c <= '9') || c == '-')) {
					*reason = "bad ORCPT address type";
					return ESMTP_SYNTAX;
				}
			}
			memcpy(out->orcpt_type, v, tl);
			out->orcpt_type[tl] = 0;
			if (vl - tl - 1 == 0 ||
			    orcpt_decode(out->orcpt_type, semi + 1, vl - tl - 1, out->orcpt,
			    sizeof(out->orcpt)) < 0) {
				*reason = "bad ORCPT parameter";
				return ESMTP_SYNTAX;
			}
			out->has_orcpt = 1;
		} else {
			*reason = "unrecognized RCPT parameter";
			return ESMTP_UNRECOGNIZED;
		}
		if (seen & bit) {
			*reason = "duplicate RCPT parameter";
			return ESMTP_UNRECOGNIZED;
		}
		seen |= bit;
	}
	if (r < 0) {
		*reason = "syntax error in RCPT parameters";
		return ESMTP_SYNTAX;
	}
	return ESMTP_OK;
}
