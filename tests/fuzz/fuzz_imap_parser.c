/* fuzz_imap_parser.c: libFuzzer harness for the IMAP command reader:
 * arbitrary client bytes, read command after command until EOF. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "imap_parser.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_limits lim;
	struct imap_cmd *c;
	char tag[80], reason[200];
	int devnull = open("/dev/null", O_WRONLY);
	struct io *io = io_new(-1, devnull, 1000);
	int r, n = 0;

	io_unread(io, data, size);
	io->in_eof = 1;
	imap_limits_default(&lim);
	lim.max_line = 1024;
	lim.max_literal = 4096;
	lim.max_command = 8192;
	lim.literal_hard_cap = 1 << 20;
	do {
		r = imap_read_command(io, &lim, size & 1, &c, tag, sizeof(tag),
		    reason, sizeof(reason));
		if (r == IMAP_READ_OK)
			imap_cmd_free(c);
	} while ((r == IMAP_READ_OK || r == IMAP_READ_BAD || r == IMAP_READ_TOOBIG) && ++n < 10000);
	io_free(io);
	close(devnull);
	return 0;
}
