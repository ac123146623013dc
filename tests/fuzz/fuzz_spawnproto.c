/* fuzz_spawnproto.c: libFuzzer harness for the spawner request and reply
 * parsers.  What parses must encode and parse again to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "spawnproto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spawn_request *q, *q2;
	struct spawn_reply *y, *y2;
	struct buf b = BUF_INIT;
	char err[64];

	if (spawn_request_parse((const char *)data, size, &q, err, sizeof(err)) == 0) {
		if (spawn_request_encode(q, &b) != 0)
			abort();
		if (spawn_request_parse(b.p + 4, b.len - 4, &q2, err, sizeof(err)) != 0)
			abort();
		if (q2->nrcpts != q->nrcpts || strcmp(q2->sender, q->sender) != 0)
			abort();
		for (size_t i = 0; i < q->nrcpts; i++)
			if (strcmp(q->rcpts[i].addr, q2->rcpts[i].addr) != 0)
				abort();
		spawn_request_free(q2);
		spawn_request_free(q);
	}
	buf_reset(&b);
	if (spawn_reply_parse((const char *)data, size, &y, err, sizeof(err)) == 0) {
		if (spawn_reply_encode(y, &b) == 0) {
			if (spawn_reply_parse(b.p + 4, b.len - 4, &y2, err, sizeof(err)) != 0)
				abort();
			if (y2->nresults != y->nresults || y2->id != y->id)
				abort();
			spawn_reply_free(y2);
		}
		spawn_reply_free(y);
	}
	buf_free(&b);
	return 0;
}
