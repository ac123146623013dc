/* fuzz_smtpaddr.c: libFuzzer harness for the RFC 5321 path parser.  The
 * first byte picks the flags; checks that a success never yields control
 * bytes and that the canonical form parses again to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpaddr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpaddr a, b;
	const char *why;
	size_t used;
	unsigned flags;
	char *copy;

	if (size < 1)
		return 0;
	flags = data[0] & 7;
	copy = malloc(size - 1 ? size - 1 : 1);   /* exact size for ASan */
	memcpy(copy, data + 1, size - 1);
	if (smtpaddr_parse_path(copy, size - 1, flags, &a, &used, &why) == 0) {
		if (used > size - 1 || used > SMTPADDR_PATH_MAX)
			abort();
		for (const char *s = a.addr; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				abort();
		if (!a.is_null && !a.is_postmaster) {
			if (smtpaddr_parse_mailbox(a.addr, strlen(a.addr), flags, &b, &why) != 0 ||
			    strcmp(a.addr, b.addr) != 0)
				abort();
		}
	}
	smtpaddr_parse_mailbox(copy, size - 1, flags, &a, &why);
	char dom[SMTPADDR_DOMAIN_MAX + 1];
	smtpaddr_parse_domain(copy, size - 1, flags, dom, NULL, &why);
	free(copy);
	return 0;
}
