/* fuzz_postern_tables.c: libFuzzer harness for the table line syntax of
 * `postern check` (daemon/postern_tables.c).  The first byte picks the
 * table; the rest is one line, passed with its exact length. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/postern.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *(*const fns[])(const char *, size_t) = {
		table_domains_line, table_relaynets_line, table_routes_line,
		table_aliases_line
	};
	char *copy;

	if (size < 1)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	(void)fns[data[0] % 4](copy, size - 1);
	(void)table_domain_ok(copy, size - 1);
	free(copy);
	return 0;
}
