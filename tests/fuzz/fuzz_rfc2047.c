/* fuzz_rfc2047.c: libFuzzer harness for the encoded-word decoder and the
 * RFC 2231 value decoder; the output must always be valid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include "rfc2047.h"
#include "rfc2231.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	struct buf out = BUF_INIT;

	memcpy(p, data, size);
	rfc2047_decode(p, size, &out);
	if (out.len > 0 && u8_check((const uint8_t *)out.p, out.len) != NULL)
		abort();
	buf_reset(&out);
	rfc2231_value_decode(p, size, &out);
	if (out.len > 0 && u8_check((const uint8_t *)out.p, out.len) != NULL)
		abort();
	buf_free(&out);
	free(p);
	return 0;
}
