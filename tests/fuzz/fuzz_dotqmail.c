/* fuzz_dotqmail.c: libFuzzer harness for the per-user rule file parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dotqmail.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dotqmail d;
	char err[128];

	memset(&d, 0, sizeof(d));
	if (dotqmail_parse((const char *)data, size, &d, err, sizeof(err)) == 0) {
		if (d.n == 0 || d.n > DOTQMAIL_MAX_RULES)
			abort();
		for (size_t i = 0; i < d.n; i++)
			if (d.rules[i].arg[0] == '\0')
				abort();
		dotqmail_free(&d);
	}
	return 0;
}
