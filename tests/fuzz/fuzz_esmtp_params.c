/* fuzz_esmtp_params.c: libFuzzer harness for MAIL/RCPT parameters and
 * xtext; the first byte picks the enabled extensions.  Checks that decoded
 * values hold no control bytes and that xtext round-trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "esmtp_params.h"

static void
no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esmtp_mail_params m;
	struct esmtp_rcpt_params r;
	const char *why;
	char *copy, out[600], back[600];
	long n;

	if (size < 1)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	if (esmtp_parse_mail_params(copy, size - 1, data[0] & ESMTP_EXT_ALL, &m, &why) == 0) {
		no_controls(m.envid);
		no_controls(m.auth);
	}
	if (esmtp_parse_rcpt_params(copy, size - 1, data[0] & ESMTP_EXT_ALL, &r, &why) == 0) {
		no_controls(r.orcpt);
		no_controls(r.orcpt_type);
		if (r.has_orcpt) {
			/* what we decoded must encode back to something that
			 * decodes to the same address */
			struct esmtp_rcpt_params r2;
			struct buf b = BUF_INIT;
			buf_puts(&b, "ORCPT=");
			orcpt_encode(&b, r.orcpt_type, r.orcpt, strlen(r.orcpt));
			if (b.len - 6 <= ESMTP_ORCPT_MAX) {
				if (esmtp_parse_rcpt_params(b.p, b.len, ESMTP_EXT_DSN, &r2, &why) != 0 ||
				    strcmp(r.orcpt, r2.orcpt) != 0)
					abort();
			}
			buf_free(&b);
		}
	}
	n = xtext_decode(copy, size - 1, out, sizeof(out));
	if (n >= 0) {
		struct buf b = BUF_INIT;
		xtext_encode(&b, out, (size_t)n);
		if (xtext_decode(b.p, b.len, back, sizeof(back)) != n ||
		    memcmp(out, back, (size_t)n) != 0)
			abort();
		buf_free(&b);
	}
	free(copy);
	return 0;
}
