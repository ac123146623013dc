/* fuzz_mutf7.c: libFuzzer harness for modified UTF-7 (both directions)
 * and the i;unicode-casemap preparation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "casemap.h"
#include "mutf7.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf a = BUF_INIT, b = BUF_INIT;

	/* decode; whatever decodes must encode back to the same bytes */
	if (mutf7_decode(p, size, &a, NULL) == 0) {
		if (mutf7_encode(a.p ? a.p : "", a.len, &b, NULL) != 0)
			abort();
		if (b.len != size || (size && memcmp(b.p, p, size) != 0))
			abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	/* encode; whatever encodes must decode back */
	if (mutf7_encode(p, size, &a, NULL) == 0) {
		if (mutf7_decode(a.p ? a.p : "", a.len, &b, NULL) != 0)
			abort();
		if (b.len != size || (size && memcmp(b.p, p, size) != 0))
			abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	/* casemap: bounded growth, idempotent on valid UTF-8 */
	int bin = casemap_fold(p, size, &a);
	if (a.len > size * CASEMAP_MAX_GROWTH)
		abort();
	if (!bin) {
		if (casemap_fold(a.p ? a.p : "", a.len, &b) != 0)
			abort();
		if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0))
			abort();
	}
	if (!casemap_contains(p, size, p, size) || !casemap_equal(p, size, p, size))
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
