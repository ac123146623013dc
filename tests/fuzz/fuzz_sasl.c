/* fuzz_sasl.c: libFuzzer harness for the SASL server (sasl_start,
 * sasl_step, sasl_plain_decode).  The first byte picks the mechanism and
 * whether there is an initial response; the rest are lines split at LF. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sasl.h"

static void
check_done(const struct sasl *s)
{
	if (s->user.len == 0 || s->user.len > SASL_MAX_USER)
		abort();
	if (s->password.len == 0 || s->password.len > SASL_MAX_PASSWORD)
		abort();
	if (memchr(s->user.p, 0, s->user.len) || memchr(s->password.p, 0, s->password.len))
		abort();
	if (s->user.p[s->user.len] != 0 || s->password.p[s->password.len] != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf u = BUF_INIT, p = BUF_INIT;
	const char *why = NULL;
	struct sasl s;

	/* the raw PLAIN message decoder */
	if (sasl_plain_decode((const char *)data, size, &u, &p, &why) == 0) {
		if (u.len == 0 || p.len == 0)
			abort();
	} else if (why == NULL) {
		abort();
	}
	buf_free(&u);
	buf_free(&p);

	if (size < 1)
		return 0;
	const char *mech = (data[0] & 1) ? "LOGIN" : "PLAIN";
	int has_ir = (data[0] & 2) != 0;
	const char *q = (const char *)data + 1;
	size_t left = size - 1;

	sasl_init(&s);
	const char *nl = memchr(q, '\n', left);
	size_t l = nl ? (size_t)(nl - q) : left;
	enum sasl_status st = sasl_start(&s, mech, 5, has_ir ? q : NULL, l);
	if (has_ir) {
		q += nl ? l + 1 : l;
		left -= nl ? l + 1 : l;
	}
	for (int steps = 0; steps < 8; steps++) {
		if (st == SASL_DONE)
			check_done(&s);
		if (st == SASL_ERROR && s.error == NULL)
			abort();
		if (st != SASL_CONTINUE || left == 0)
			break;
		nl = memchr(q, '\n', left);
		l = nl ? (size_t)(nl - q) : left;
		st = sasl_step(&s, q, l);
		q += nl ? l + 1 : l;
		left -= nl ? l + 1 : l;
	}
	sasl_clear(&s);
	return 0;
}
