/* pop3_uidl.c: POP3 UIDLs compatible with Dovecot's default format
 * "%08Xu%08Xv" (see pop3_uidl.h), which Dovecot 2.3 expands to lower-case
 * hex (measured against dovecot-pop3d 2.3.19.1: "000000016b074b72"). */
#include <stdio.h>
#include <string.h>
#include "pop3_uidl.h"

int
pop3_uidl_valid(const char *p, size_t len)
{
	if (len == 0 || len > POP3_UIDL_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

size_t
pop3_uidl_make(char *out, size_t outlen, uint32_t uid, uint32_t uidvalidity,
    const char *override)
{
	if (outlen == 0)
		return 0;
	if (override) {
		size_t l = strlen(override);
		if (pop3_uidl_valid(override, l) && l < outlen) {
			memcpy(out, override, l + 1);
			return l;
		}
	}
	int n = snprintf(out, outlen, "%08x%08x", (unsigned)uid, (unsigned)uidvalidity);
	if (n < 0)
		return 0;
	return (size_t)n < outlen ? (size_t)n : outlen - 1;
}
