/* casemap.c: i;unicode-casemap (RFC 5051) preparation, comparison and
 * substring match with libunistring (see casemap.h). */
#include "casemap.h"

#include <string.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

/* Append the full decomposition of uc (recursively), or uc itself.  The
 * parts of a decomposition are titlecased again (a compatibility
 * decomposition can yield lowercase letters: U+FB01 -> "fi"), so that the
 * preparation is idempotent and U+FB01 equals "FI". */
static void
decompose(ucs4_t uc, struct buf *out, int depth)
{
	ucs4_t d[UC_DECOMPOSITION_MAX_LENGTH];
	int tag;
	int n = depth < 8 ? uc_decomposition(uc, &tag, d) : -1;
	if (n <= 0) {
		uint8_t u8[6];
		int k = u8_uctomb(u8, uc, sizeof(u8));
		if (k > 0)
			buf_append(out, u8, (size_t)k);
		return;
	}
	for (int i = 0; i < n; i++)
		decompose(uc_totitle(d[i]), out, depth + 1);
}

int
casemap_fold(const char *p, size_t len, struct buf *out)
{
	const uint8_t *s = (const uint8_t *)p;
	size_t start = out->len;

	if (u8_check(s, len) != NULL) {
		buf_append(out, p, len);
		return 1;
	}
	buf_reserve(out, len);
	size_t i = 0;
	while (i < len) {
		if (s[i] < 0x80) {
			/* ASCII: titlecase is uppercase; nothing decomposes */
			unsigned char c = s[i++];
			buf_putc(out, c >= 'a' && c <= 'z' ? c - 32 : c);
			continue;
		}
		ucs4_t uc;
		int k = u8_mbtoucr(&uc, s + i, len - i);
		if (k <= 0) {   /* cannot happen after u8_check */
			out->len = start;
			buf_append(out, p, len);
			return 1;
		}
		i += (size_t)k;
		decompose(uc_totitle(uc), out, 0);
	}
	return 0;
}

int
casemap_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	struct buf fa = BUF_INIT, fb = BUF_INIT;
	casemap_fold(a, alen, &fa);
	casemap_fold(b, blen, &fb);
	size_t n = fa.len < fb.len ? fa.len : fb.len;
	int c = n ? memcmp(fa.p, fb.p, n) : 0;
	if (c == 0)
		c = fa.len < fb.len ? -1 : fa.len > fb.len;
	buf_free(&fa);
	buf_free(&fb);
	return c < 0 ? -1 : c > 0;
}

int
casemap_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return casemap_compare(a, alen, b, blen) == 0;
}

int
casemap_contains_folded(const char *hay, size_t hlen, const char *needle,
    size_t nlen)
{
	struct buf fh = BUF_INIT;
	int r;
	if (nlen == 0)
		return 1;
	casemap_fold(hay, hlen, &fh);
	r = fh.len >= nlen && memmem(fh.p, fh.len, needle, nlen) != NULL;
	buf_free(&fh);
	return r;
}

int
casemap_contains(const char *hay, size_t hlen, const char *needle,
    size_t nlen)
{
	struct buf fn = BUF_INIT;
	casemap_fold(needle, nlen, &fn);
	int r = casemap_contains_folded(hay, hlen, fn.p ? fn.p : "", fn.len);
	buf_free(&fn);
	return r;
}
