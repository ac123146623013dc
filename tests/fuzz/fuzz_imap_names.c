/* fuzz_imap_names.c: libFuzzer harness for the IMAP session core's
 * argument parsers that meet client input: mailbox names (both forms,
 * round trip), LIST patterns, APPEND date-time and UID sets. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "imap_names.h"
#include "imapd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
	const char *why;
	struct imap_uid_range *r;
	size_t n, half = size / 2;
	time_t t;
	int utf8;

	for (utf8 = 0; utf8 <= 1; utf8++) {
		buf_reset(&a);
		buf_reset(&b);
		buf_reset(&c);
		if (imap_name_to_folder(utf8, p, size, &a, &why) == 0) {
			/* a folder name we accept maps back to an equivalent name
			 * that maps to the same folder */
			imap_name_from_folder(utf8, a.p, a.len, &b);
			if (imap_name_to_folder(utf8, b.p, b.len, &c, &why) != 0)
				abort();
			if (c.len != a.len || memcmp(c.p, a.p, a.len) != 0)
				abort();
		}
	}
	(void)imap_name_match(p, half, p + half, size - half);
	(void)imap_name_utf8_valid(p, size);
	(void)imap_parse_datetime(p, size, &t);
	if (imap_uidset_parse(p, size, 4000000000u, &r, &n) == 0) {
		size_t i;
		for (i = 0; i < n; i++)
			if (r[i].lo == 0 || r[i].lo > r[i].hi)
				abort();
		free(r);
	}
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	return 0;
}
