/* fuzz_base64_qp.c: libFuzzer harness for the base64 and quoted-printable
 * decoders (strict and MIME forms) with round-trip checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base64.h"
#include "qp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	struct buf a = BUF_INIT, b = BUF_INIT;

	memcpy(p, data, size);
	base64_decode_mime(p, size, &a);
	if (a.len != base64_decoded_size(p, size))
		abort();
	buf_reset(&a);
	if (base64_decode_strict(p, size, &a) == 0) {
		/* strict input re-encodes to itself */
		base64_encode(a.p ? a.p : "", a.len, &b);
		if (b.len != size || (size > 0 && memcmp(b.p, p, size) != 0))
			abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	base64_encode(p, size, &a);
	if (base64_decode_strict(a.p ? a.p : "", a.len, &b) != 0 || b.len != size ||
	    (size > 0 && memcmp(b.p, p, size) != 0))
		abort();
	buf_reset(&a);
	qp_decode(p, size, &a);
	if (a.len > size)
		abort();
	buf_reset(&a);
	qp_decode_q(p, size, &a);
	if (a.len > size)
		abort();
	buf_free(&a);
	buf_free(&b);
	free(p);
	return 0;
}
