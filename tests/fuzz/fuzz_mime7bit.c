/* fuzz_mime7bit.c: libFuzzer harness for the 8-bit to 7-bit converter
 * (common/mime7bit.c): a converted message holds no 8-bit octet, a clean
 * one had none, the scan agrees with the converter about 8-bit header
 * fields, and quoted-printable output is short-lined, 7-bit and decodes
 * back to its input (CR-free input: CRLF becomes LF by design). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "mime7bit.h"
#include "qp.h"

static void
check_7bit(const char *p, size_t len, int check_lines)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] >= 0x80)
			abort();
		if (p[i] == '\n')
			col = 0;
		else if (check_lines && ++col > 76)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf out = BUF_INIT, dec = BUF_INIT;
	char why[128];
	int rc, e8, h8;

	mime7bit_scan(p, size, &e8, &h8);
	rc = mime7bit_convert(p, size, &out, why, sizeof why);
	switch (rc) {
	case MIME7BIT_CLEAN:
		if (e8 || out.len)
			abort();
		break;
	case MIME7BIT_CONVERTED:
		if (!e8 || h8)
			abort();
		check_7bit(out.p, out.len, 0);
		break;
	case MIME7BIT_HEADER:
		if (!h8 || out.len)
			abort();
		break;
	case MIME7BIT_IMPOSSIBLE:
		if (!e8 || out.len)
			abort();
		break;
	default:
		abort();
	}
	if (!memchr(p, '\r', size)) {
		buf_reset(&out);
		mime7bit_qp_encode(p, size, &out);
		check_7bit(out.p, out.len, 1);
		qp_decode(out.p, out.len, &dec);
		if (dec.len != size || (size && memcmp(dec.p, p, size) != 0))
			abort();
	}
	buf_free(&out);
	buf_free(&dec);
	return 0;
}
