/* fuzz_message.c: libFuzzer harness for the MIME parser and every IMAP
 * builder on top of it (ENVELOPE, BODY[STRUCTURE], sections, BINARY). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_section.h"
#include "message.h"

static void fetch(const struct message *m, const char *spec, int binary, struct buf *out)
{
	struct imap_section sec;
	if (imap_section_parse(spec, strlen(spec), binary, &sec) == 0) {
		if (binary)
			imap_binary_fetch(m, &sec, out);
		else
			imap_section_fetch(m, &sec, out);
	}
	imap_section_free(&sec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy, so that ASan sees any read past the end */
	char *p = malloc(size ? size : 1);
	struct message_limits lim;
	struct buf out = BUF_INIT;

	memcpy(p, data, size);
	message_limits_default(&lim);
	lim.max_parts = 200;
	lim.max_depth = 20;
	struct message *m = message_parse(p, size, &lim);
	imap_envelope_write(m, m->root, &out);
	imap_bodystructure_write(m, m->root, 1, &out);
	imap_bodystructure_write(m, m->root, 0, &out);
	static const char *const specs[] = {
		"", "HEADER", "TEXT", "1", "1.MIME", "2", "1.1", "2.1.MIME", "1.HEADER",
		"2.TEXT", "HEADER.FIELDS (FROM SUBJECT)", "1.HEADER.FIELDS.NOT (TO)",
		"1.2.3.4"
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		buf_reset(&out);
		fetch(m, specs[i], 0, &out);
	}
	fetch(m, "1", 1, &out);
	fetch(m, "2.1", 1, &out);
	/* the sizes the tree reports must agree with the octets */
	if (m->size != message_crlf_size(p, size))
		abort();
	message_free(m);
	buf_free(&out);
	free(p);
	return 0;
}
