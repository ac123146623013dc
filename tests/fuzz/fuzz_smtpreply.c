/* fuzz_smtpreply.c: libFuzzer harness for the SMTP client's reply parser
 * (common/smtpreply.c): whole-buffer parse and line-by-line feeding agree,
 * text stays within its caps and free of control bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "smtpreply.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_reply r, r2;
	const char *p = (const char *)data;
	char diag[300];
	size_t i = 0;
	int rc, rc2 = 0;

	rc = smtp_reply_parse(&r, p, size);
	if (r.text_len > SMTP_REPLY_MAX_TEXT || strlen(r.text) != r.text_len)
		abort();
	for (i = 0; i < r.text_len; i++)
		if ((unsigned char)r.text[i] < 0x20 && r.text[i] != '\n' &&
		    r.text[i] != '\t')
			abort();
	if (rc == 1) {
		if (r.code < 200 || r.code > 599 || !r.done)
			abort();
		if (r.status[0] && (unsigned)(r.status[0] - '0') != r.code / 100)
			abort();
		smtp_reply_diag(&r, diag, sizeof diag);
		if (strlen(diag) >= sizeof diag)
			abort();
		(void)smtp_reply_ehlo_has(&r, "SIZE", NULL, NULL);
	}
	/* feeding line by line gives the same verdict for complete input */
	smtp_reply_init(&r2);
	i = 0;
	while (i < size) {
		const char *nl = memchr(p + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (p + i)) + 1 : size - i;
		if (!nl)
			break;
		rc2 = smtp_reply_feed(&r2, p + i, n);
		i += n;
		if (rc2 != 0)
			break;
	}
	if (rc == 1 && (rc2 != 1 || r2.code != r.code || i != size))
		abort();
	return 0;
}
