/* fuzz_smtp_cmd.c: libFuzzer harness for postern-smtpd's command-line
 * parser (smtpd/smtp_cmd.c): verb, argument, MAIL/RCPT keyword, BDAT
 * argument, and the reply formatter with hostile arguments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../smtpd/smtpd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd c;
	char *copy = malloc(size ? size : 1);
	uint64_t n;
	int last;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);       /* exact size: ASan sees overreads */
	if (smtp_cmd_parse(copy, size, &c) == SMTP_CMD_OK) {
		if (c.arglen > 0 && (c.arg < copy || c.arg + c.arglen > copy + size))
			abort();
		(void)smtp_cmd_path_start(c.arg, c.arglen, "FROM");
		(void)smtp_cmd_path_start(c.arg, c.arglen, "TO");
		if (smtp_cmd_bdat_arg(c.arg, c.arglen, &n, &last) == 0 && n > 999999999999999999ULL)
			abort();
		if (c.arglen < 500) {
			struct buf b = BUF_INIT;
			char arg[512];
			memcpy(arg, c.arg, c.arglen);
			arg[c.arglen] = '\0';
			smtp_reply_format(&b, RP_SYNTAX, arg, 0);
			if (memchr(b.p, '\n', b.len - 1) != NULL)
				abort();
			buf_free(&b);
		}
	}
	free(copy);
	return 0;
}
