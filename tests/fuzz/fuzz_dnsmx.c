/* fuzz_dnsmx.c: libFuzzer harness for the DNS answer parser
 * (common/dnsmx.c): any message, each record type; names decode within
 * their bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dnsmx.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_answer a;
	static const unsigned types[] = { DNS_T_MX, DNS_T_A, DNS_T_AAAA };
	char name[DNSMX_MAX_NAME + 1];
	size_t i, k, off;

	for (k = 0; k < 3; k++) {
		if (dnsmx_parse((const char *)data, size, types[k], &a) == 0) {
			if (a.n > DNSMX_MAX_RR)
				abort();
			for (i = 0; i < a.n; i++)
				if (strlen(a.rr[i].name) > DNSMX_MAX_NAME ||
				    a.rr[i].type != types[k])
					abort();
		}
	}
	off = size > 12 ? 12 : 0;
	if (dnsmx_name((const char *)data, size, &off, name, sizeof name) == 0 &&
	    (off > size || strlen(name) > DNSMX_MAX_NAME))
		abort();
	return 0;
}
