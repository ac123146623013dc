/* fuzz_envelope.c: libFuzzer harness for the queue envelope reader and the
 * state-record reader.  What parses must write back and parse again to the
 * same recipients. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "envelope.h"

/* The same input as the payload of a correctly framed 'E' record, so that
 * the fuzzer reaches the field parser past the checksum. */
static void
framed(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	struct envelope *e;
	char err[128];
	unsigned char h[5] = { 'E', size >> 24, size >> 16, size >> 8, size };
	uint32_t crc = envelope_crc32(envelope_crc32(0, h, 5), data, size);
	unsigned char t[4] = { crc >> 24, crc >> 16, crc >> 8, crc };

	buf_append(&b, "PSTNENV\x01", 8);
	buf_append(&b, h, 5);
	buf_append(&b, data, size);
	buf_append(&b, t, 4);
	if (envelope_parse(b.p, b.len, &e, err, sizeof(err)) == 0)
		envelope_free(e);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope *e, *e2;
	char err[128];
	char *copy = malloc(size ? size : 1);
	size_t valid;

	framed(data, size);
	memcpy(copy, data, size);
	if (envelope_parse(copy, size, &e, err, sizeof(err)) == 0) {
		struct buf b = BUF_INIT;
		if (envelope_write(e, &b) == 0) {
			if (envelope_parse(b.p, b.len, &e2, err, sizeof(err)) != 0 ||
			    e2->nrcpts != e->nrcpts)
				abort();
			for (size_t i = 0; i < e->nrcpts; i++)
				if (strcmp(e->rcpts[i].addr, e2->rcpts[i].addr) != 0)
					abort();
			envelope_free(e2);
		}
		/* the same bytes as a state file */
		if (envelope_state_apply(e, copy, size, &valid, err, sizeof(err)) >= 0 &&
		    valid > size)
			abort();
		buf_free(&b);
		envelope_free(e);
	}
	free(copy);
	return 0;
}
