/* fuzz_table.c: libFuzzer harness for table files (table_parse) and the
 * relay-networks check on top of them (netaddr_cidr_parse per line). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "netaddr.h"
#include "table.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct table *t = table_parse("fuzz", (const char *)data, size, err, sizeof(err));
	struct netaddr a;
	size_t i;

	if (t == NULL)
		return 0;
	for (i = 0; i < t->count; i++) {
		const struct table_entry *e = &t->entries[i];
		if (e->len == 0 || strlen(e->text) != e->len || e->line == 0)
			abort();
		if (e->text[0] == ' ' || e->text[e->len - 1] == ' ')
			abort();
		if (netaddr_parse(e->text, e->len, &a) == 0) {
			char s[NETADDR_STRLEN];
			struct netaddr b;
			netaddr_format(&a, s, sizeof(s));
			/* what we print parses back to the same address */
			if (netaddr_parse(s, strlen(s), &b) != 0 || memcmp(&a, &b, sizeof(a)) != 0)
				abort();
		}
	}
	a.family = AF_INET;
	memset(a.a, 0, sizeof(a.a));
	a.a[0] = 127;
	a.a[3] = 1;
	if (netaddr_in_table(t, &a, err, sizeof(err)) < 0 && strncmp(err, "fuzz:", 5) != 0)
		abort();
	table_free(t);
	return 0;
}
