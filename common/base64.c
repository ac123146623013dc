/* base64.c: base64 encoder and strict / MIME decoders (RFC 4648, 2045). */
#include "base64.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* -1: not in the alphabet */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

void base64_encode(const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i;
	char q[4];

	buf_reserve(out, size_mul(size_add(len, 2) / 3, 4));
	for (i = 0; i + 3 <= len; i += 3) {
		q[0] = b64_alphabet[s[i] >> 2];
		q[1] = b64_alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64_alphabet[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		q[3] = b64_alphabet[s[i + 2] & 63];
		buf_append(out, q, 4);
	}
	if (len - i == 1) {
		q[0] = b64_alphabet[s[i] >> 2];
		q[1] = b64_alphabet[(s[i] & 3) << 4];
		q[2] = q[3] = '=';
		buf_append(out, q, 4);
	} else if (len - i == 2) {
		q[0] = b64_alphabet[s[i] >> 2];
		q[1] = b64_alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64_alphabet[(s[i + 1] & 15) << 2];
		q[3] = '=';
		buf_append(out, q, 4);
	}
}

int base64_decode_strict(const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		int v0 = b64_value(s[i]), v1 = b64_value(s[i + 1]);
		int v2 = b64_value(s[i + 2]), v3 = b64_value(s[i + 3]);
		int last = i + 4 == len;
		char o[3];

		if (v0 < 0 || v1 < 0)
			return -1;
		o[0] = (char)((v0 << 2) | (v1 >> 4));
		if (v2 < 0) {
			/* "xx==": only in the last group, unused bits zero */
			if (!last || s[i + 2] != '=' || s[i + 3] != '=' || (v1 & 15))
				return -1;
			buf_append(out, o, 1);
			break;
		}
		o[1] = (char)(((v1 & 15) << 4) | (v2 >> 2));
		if (v3 < 0) {
			if (!last || s[i + 3] != '=' || (v2 & 3))
				return -1;
			buf_append(out, o, 2);
			break;
		}
		o[2] = (char)(((v2 & 3) << 6) | v3);
		buf_append(out, o, 3);
	}
	return 0;
}

static size_t b64_mime_run(const char *p, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned int acc = 0, n = 0;
	size_t bad = 0, total = 0, i;
	char tmp[768];
	size_t t = 0;

	for (i = 0; i < len; i++) {
		int v = b64_value(s[i]);
		if (v < 0) {
			if (s[i] == '=')
				break;
			if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
				bad++;
			continue;
		}
		acc = (acc << 6) | (unsigned)v;
		if (++n == 4) {
			if (out != NULL) {
				tmp[t++] = (char)(acc >> 16);
				tmp[t++] = (char)(acc >> 8);
				tmp[t++] = (char)acc;
				if (t + 3 > sizeof(tmp)) {
					buf_append(out, tmp, t);
					t = 0;
				}
			}
			total += 3;
			acc = 0;
			n = 0;
		}
	}
	/* partial group: 2 chars -> 1 octet, 3 chars -> 2 octets */
	if (n >= 2) {
		if (out != NULL) {
			if (n == 2) {
				tmp[t++] = (char)(acc >> 4);
			} else {
				tmp[t++] = (char)(acc >> 10);
				tmp[t++] = (char)(acc >> 2);
			}
		}
		total += n - 1;
	}
	if (out != NULL && t > 0)
		buf_append(out, tmp, t);
	return out != NULL ? bad : total;
}

size_t base64_decode_mime(const char *p, size_t len, struct buf *out)
{
	return b64_mime_run(p, len, out);
}

size_t base64_decoded_size(const char *p, size_t len)
{
	return b64_mime_run(p, len, NULL);
}
