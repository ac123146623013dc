/* fuzz_imap_binary.c: libFuzzer harness for the BINARY decodability
 * check (imapd/imap_binary_check.c): the input is validated directly as
 * base64 and as quoted-printable, then parsed as a message whose whole
 * tree and first parts are checked the way FETCH BINARY[...] checks them.
 * The first input byte picks a part number so nested sections are
 * reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "imap_msgcmd.h"
#include "imap_section.h"
#include "message.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct imap_section sec;
	struct message *msg;

	(void)imap_base64_valid(p, size);
	(void)imap_qp_valid(p, size);
	if (size == 0)
		return 0;
	msg = message_parse(p + 1, size - 1, NULL);
	if (msg == NULL)
		return 0;
	memset(&sec, 0, sizeof(sec));
	(void)imap_binary_decodable(msg, &sec);
	sec.nnums = 1;
	sec.nums[0] = 1u + (data[0] & 7u);
	(void)imap_binary_decodable(msg, &sec);
	sec.nnums = 2;
	sec.nums[1] = 1u + (data[0] >> 5);
	(void)imap_binary_decodable(msg, &sec);
	message_free(msg);
	return 0;
}
