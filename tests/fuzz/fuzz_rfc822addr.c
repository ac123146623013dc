/* fuzz_rfc822addr.c: libFuzzer harness for the RFC 5322 address-list
 * parser and the RFC 2231 parameter-list parser (same lexer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "imap_envelope.h"
#include "rfc2231.h"
#include "rfc822addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	struct buf out = BUF_INIT;
	struct rfc822_lexer lx;
	struct mime_params ps;

	memcpy(p, data, size);
	struct rfc822_address *l = rfc822addr_parse(p, size, 1000, size & 1);
	imap_address_list_write(l, &out);
	rfc822addr_free(l);

	rfc822_lexer_init(&lx, p, size, NULL);
	rfc2231_parse(&lx, 64, &ps);
	for (size_t i = 0; i < ps.count; i++)
		if (ps.v[i].name == NULL || ps.v[i].value == NULL)
			abort();
	mime_params_free(&ps);
	buf_free(&out);
	free(p);
	return 0;
}
