/* rfc2231.c: MIME parameter lists with RFC 2231 continuation joining. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "rfc2231.h"
#include "rfc2047.h"

struct piece {
	char *key;                  /* name without the "*n*" suffix */
	unsigned int idx;
	int extended;
	char *value;
	size_t order;               /* input order, for a stable sort */
};

static int piece_cmp(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;
	/* the reference server sorts by name case-sensitively but groups
	 * pieces case-insensitively: "a*0 a*1 A*2" has a gap */
	int r = strcmp(x->key, y->key);
	if (r != 0)
		return r;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void params_add(struct mime_params *ps, char *name, char *value)
{
	ps->v = xreallocarray(ps->v, ps->count + 1, sizeof(*ps->v));
	ps->v[ps->count].name = name;
	ps->v[ps->count].value = value;
	ps->count++;
}

void rfc2231_parse(struct rfc822_lexer *lx, unsigned int max, struct mime_params *out)
{
	struct buf key = BUF_INIT, value = BUF_INIT, str = BUF_INIT;
	struct piece *pieces = NULL;
	size_t npieces = 0, total = 0, i, j;
	int ret;

	memset(out, 0, sizeof(*out));
	while ((ret = rfc822_parse_content_param(lx, &key, &value)) != 0) {
		if (ret < 0) {
			/* broken: skip one octet and try again */
			out->broken = 1;
			if (lx->p >= lx->end)
				break;
			lx->p++;
			continue;
		}
		if (++total > max) {
			out->broken = 1;
			break;
		}
		const char *k = buf_cstr(&key);
		const char *star = strchr(k, '*');
		int is_piece = 0;
		unsigned int idx = 0;
		int extended = 0;
		if (star != NULL) {
			const char *q = star;
			if (q[1] != '\0') {
				q++;
				for (; *q >= '0' && *q <= '9'; q++)
					idx = idx * 10 + (unsigned)(*q - '0');
				if (idx > 100000)
					idx = 100000;
			}
			if (*q == '*') {
				extended = 1;
				q++;
			}
			is_piece = *q == '\0';
		}
		if (is_piece) {
			pieces = xreallocarray(pieces, npieces + 1, sizeof(*pieces));
			pieces[npieces].key = xstrndup(k, (size_t)(star - k));
			pieces[npieces].idx = idx;
			pieces[npieces].extended = extended;
			pieces[npieces].value = xstrndup(value.p ? value.p : "", value.len);
			pieces[npieces].order = npieces;
			npieces++;
		} else {
			params_add(out, xstrndup(k, key.len),
				   xstrndup(value.p ? value.p : "", value.len));
		}
	}
	if (npieces > 0)
		qsort(pieces, npieces, sizeof(*pieces), piece_cmp);
	for (i = 0; i < npieces; i = j) {
		unsigned int next_idx = 0;
		int ok = 1, have_extended = 0;
		for (j = i; j < npieces && strcasecmp(pieces[i].key, pieces[j].key) == 0; j++) {
			if (pieces[j].idx != next_idx)
				ok = 0;
			if (pieces[j].extended)
				have_extended = 1;
			next_idx++;
		}
		if (!ok) {
			/* a gap in the numbering: report the pieces as they are */
			for (size_t k = i; k < j; k++) {
				buf_reset(&str);
				buf_printf(&str, pieces[k].extended ? "%s*%u*" : "%s*%u",
					   pieces[k].key, pieces[k].idx);
				params_add(out, xstrndup(str.p, str.len), xstrdup(pieces[k].value));
			}
			continue;
		}
		buf_reset(&str);
		if (!pieces[i].extended && have_extended)
			buf_puts(&str, "''");
		for (size_t k = i; k < j; k++)
			buf_puts(&str, pieces[k].value);
		char *name;
		if (have_extended) {
			struct buf n = BUF_INIT;
			buf_printf(&n, "%s*", pieces[i].key);
			name = buf_steal(&n, NULL);
		} else {
			name = xstrdup(pieces[i].key);
		}
		params_add(out, name, xstrndup(str.p ? str.p : "", str.len));
	}
	for (i = 0; i < npieces; i++) {
		free(pieces[i].key);
		free(pieces[i].value);
	}
	free(pieces);
	buf_free(&key);
	buf_free(&value);
	buf_free(&str);
}

const char *mime_params_get(const struct mime_params *ps, const char *name)
{
	for (size_t i = 0; i < ps->count; i++)
		if (strcasecmp(ps->v[i].name, name) == 0)
			return ps->v[i].value;
	return NULL;
}

void mime_params_free(struct mime_params *ps)
{
	for (size_t i = 0; i < ps->count; i++) {
		free(ps->v[i].name);
		free(ps->v[i].value);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	return -1;
}

void rfc2231_value_decode(const char *p, size_t len, struct buf *out)
{
	const char *q1 = memchr(p, '\'', len), *q2;
	char charset[64] = "";
	struct buf raw = BUF_INIT;
	size_t i;

	if (q1 == NULL || (q2 = memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - p))) == NULL) {
		utf8_sanitize(p, len, out);
		return;
	}
	if ((size_t)(q1 - p) < sizeof(charset)) {
		memcpy(charset, p, (size_t)(q1 - p));
		charset[q1 - p] = '\0';
	}
	for (i = (size_t)(q2 + 1 - p); i < len; i++) {
		if (p[i] == '%' && i + 2 < len && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			buf_putc(&raw, hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		} else {
			buf_putc(&raw, p[i]);
		}
	}
	charset_to_utf8(charset, raw.p ? raw.p : "", raw.len, out);
	buf_free(&raw);
}
