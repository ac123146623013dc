/* fuzz_smtp_data.c: libFuzzer harness for the DATA/BDAT state machine
 * (smtpd/smtp_data.c) driven the way a session drives it, including a
 * STARTTLS in the middle of a BDAT transaction (the session state is reset
 * and the machine restarted: the 2026 Exim GnuTLS BDAT use-after-free
 * class).  Input: a sequence of records  op:u8 len:u8 bytes[len]  with op
 * 0 = DATA chunk, 1 = BDAT chunk, 2 = STARTTLS (reset), 3 = BDAT LAST.
 * Invariants: never more consumed than given; content emitted while no
 * error flag is set holds only CRLF line ends and no NUL; DATA ends only
 * after CRLF.CRLF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "../../smtpd/smtpd.h"

static void
check_clean(const struct buf *out, int finished)
{
	size_t i;

	for (i = 0; i < out->len; i++) {
		char c = out->p[i];
		if (c == '\0')
			abort();
		if (c == '\n' && (i == 0 || out->p[i - 1] != '\r'))
			abort();
		if (c == '\r' && i + 1 < out->len && out->p[i + 1] != '\n')
			abort();
		if (c == '\r' && i + 1 == out->len && finished)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtp_session s;
	size_t off = 0;
	int mode = -1;          /* -1 none, 0 DATA, 1 BDAT */

	memset(&s, 0, sizeof(s));
	s.env = envelope_new();
	s.in_mail = 1;
	while (off + 2 <= size) {
		uint8_t op = data[off] & 3, len = data[off + 1];
		const char *p = (const char *)data + off + 2;
		size_t n = size - off - 2 < len ? size - off - 2 : len;
		char *copy;
		size_t used;

		off += 2 + n;
		switch (op) {
		case 0:
		case 1:
			if (mode != op) {
				smtp_data_init(&s.data, op, 40, 2000);
				buf_reset(&s.out);
				mode = op;
			}
			copy = malloc(n ? n : 1);
			if (copy == NULL)
				return 0;
			memcpy(copy, p, n);
			used = smtp_data_feed(&s.data, copy, n, &s.out);
			free(copy);
			if (used > n)
				abort();
			if (op == 1 && used != n)
				abort();        /* BDAT consumes every octet */
			if (s.data.flags == 0)
				check_clean(&s.out, s.data.done);
			if (s.data.done) {
				if (s.data.flags == 0 && s.out.len > 0 &&
				    (s.out.len < 2 || memcmp(s.out.p + s.out.len - 2, "\r\n", 2) != 0))
					abort();
				mode = -1;
			}
			break;
		case 2:
			/* STARTTLS: everything of the transaction goes. */
			smtp_reset_transaction(&s);
			s.env = envelope_new();
			s.in_mail = 1;
			mode = -1;
			break;
		case 3:
			if (mode == 1) {
				smtp_data_finish(&s.data);
				if (s.data.flags == 0)
					check_clean(&s.out, 1);
			}
			mode = -1;
			break;
		}
		if (s.out.len > 1 << 16)
			buf_reset(&s.out);
	}
	smtp_reset_transaction(&s);
	buf_free(&s.out);
	return 0;
}
