/* mutf7.c: modified UTF-7 (RFC 3501 5.1.3) encoder and strict decoder
 * (see mutf7.h). */
#include "mutf7.h"

#include <stdint.h>
#include <unistr.h>

/* RFC 3501 5.1.3: modified BASE64 uses ',' instead of '/'. */
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

static int
bad(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

struct shift {
	int open;
	uint32_t acc;   /* fewer than 6 pending bits */
	int bits;
};

static void
shift_unit(struct shift *sh, uint16_t u, struct buf *out)
{
	sh->acc = (sh->acc << 16) | u;
	sh->bits += 16;
	while (sh->bits >= 6) {
		sh->bits -= 6;
		buf_putc(out, b64[(sh->acc >> sh->bits) & 63]);
	}
	sh->acc &= (1u << sh->bits) - 1;
}

static void
shift_close(struct shift *sh, struct buf *out)
{
	if (!sh->open)
		return;
	if (sh->bits > 0)
		buf_putc(out, b64[(sh->acc << (6 - sh->bits)) & 63]);
	buf_putc(out, '-');
	sh->open = 0;
	sh->acc = 0;
	sh->bits = 0;
}

int
mutf7_encode(const char *p, size_t len, struct buf *out, const char **why)
{
	const uint8_t *s = (const uint8_t *)p;
	struct shift sh = { 0, 0, 0 };
	size_t i = 0;

	if (u8_check(s, len) != NULL)
		return bad(why, "not valid UTF-8");
	while (i < len) {
		if (s[i] >= 0x20 && s[i] <= 0x7e) {
			shift_close(&sh, out);
			if (s[i] == '&')
				buf_puts(out, "&-");
			else
				buf_putc(out, s[i]);
			i++;
			continue;
		}
		ucs4_t uc;
		int k = u8_mbtoucr(&uc, s + i, len - i);
		if (k <= 0)
			return bad(why, "not valid UTF-8");
		if (uc == 0)
			return bad(why, "NUL in name");
		i += (size_t)k;
		if (!sh.open) {
			buf_putc(out, '&');
			sh.open = 1;
		}
		if (uc >= 0x10000) {
			uc -= 0x10000;
			shift_unit(&sh, (uint16_t)(0xd800 | (uc >> 10)), out);
			shift_unit(&sh, (uint16_t)(0xdc00 | (uc & 0x3ff)), out);
		} else {
			shift_unit(&sh, (uint16_t)uc, out);
		}
	}
	shift_close(&sh, out);
	return 0;
}

static void
put_utf8(ucs4_t uc, struct buf *out)
{
	uint8_t u8[6];
	int k = u8_uctomb(u8, uc, sizeof(u8));
	if (k > 0)
		buf_append(out, u8, (size_t)k);
}

int
mutf7_decode(const char *p, size_t len, struct buf *out, const char **why)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;
	int after_shift = 0;

	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x20 || c > 0x7e)
			return bad(why, "octet outside printable US-ASCII");
		if (c != '&') {
			buf_putc(out, c);
			i++;
			after_shift = 0;
			continue;
		}
		i++;
		if (i < len && s[i] == '-') {
			buf_putc(out, '&');
			i++;
			after_shift = 0;
			continue;
		}
		/* a correct encoder joins adjacent non-ASCII runs */
		if (after_shift)
			return bad(why, "shift right after another shift");
		uint32_t acc = 0;
		int bits = 0;
		size_t units = 0;
		uint16_t high = 0;
		while (i < len && s[i] != '-') {
			int v = b64_value(s[i]);
			if (v < 0)
				return bad(why, "character outside modified base64");
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			i++;
			if (bits < 16)
				continue;
			bits -= 16;
			uint16_t u = (uint16_t)(acc >> bits);
			acc &= (1u << bits) - 1;
			units++;
			if (high) {
				if (u < 0xdc00 || u > 0xdfff)
					return bad(why, "unpaired surrogate");
				put_utf8(0x10000 + (((ucs4_t)high - 0xd800) << 10) +
				    (u - 0xdc00), out);
				high = 0;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				high = u;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return bad(why, "unpaired surrogate");
			} else if (u >= 0x20 && u <= 0x7e) {
				return bad(why, "printable US-ASCII in base64");
			} else if (u == 0) {
				return bad(why, "NUL in name");
			} else {
				put_utf8(u, out);
			}
		}
		if (i == len)
			return bad(why, "unterminated shift");
		i++;   /* '-' */
		if (units == 0)
			return bad(why, "empty shift");
		if (high)
			return bad(why, "unpaired surrogate");
		if (bits >= 6)
			return bad(why, "superfluous base64 character");
		if (acc != 0)
			return bad(why, "nonzero padding bits");
		after_shift = 1;
	}
	return 0;
}

int
mutf7_valid(const char *p, size_t len)
{
	struct buf b = BUF_INIT;
	int r = mutf7_decode(p, len, &b, NULL);
	buf_free(&b);
	return r == 0;
}
