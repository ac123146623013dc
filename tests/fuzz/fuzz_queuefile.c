/* fuzz_queuefile.c: libFuzzer harness for the queue file's trailer and the
 * envelope read back from a file's end (common/queuefile.c): any bytes as
 * a whole file, and any bytes as a message with a real envelope and
 * trailer after it (the message is the client's: it must never change
 * what is read as the envelope). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "buf.h"
#include "queuefile.h"

static int
file_of(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int fd = memfd_create("f", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if ((an && write(fd, a, an) != (ssize_t)an) || (bn && write(fd, b, bn) != (ssize_t)bn))
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char env[] = "PSTNENV fuzz envelope bytes";
	char t[QUEUEFILE_TRAILER_LEN];
	struct buf b = BUF_INIT;
	uint64_t msize, s;
	size_t elen;
	int fd;

	/* the bytes as a whole file: if read, the lengths add up */
	fd = file_of(data, size, NULL, 0);
	if (queuefile_read_envelope(fd, 1 << 20, &b, &msize) == 0 &&
	    msize + b.len + QUEUEFILE_TRAILER_LEN != size)
		abort();
	close(fd);
	if (size >= QUEUEFILE_TRAILER_LEN &&
	    queuefile_parse_trailer((const char *)data + size - QUEUEFILE_TRAILER_LEN,
	    size, &s, &elen) == 0 && s + elen + QUEUEFILE_TRAILER_LEN != size)
		abort();
	/* the bytes as a message, our envelope and trailer after it */
	buf_reset(&b);
	if (queuefile_trailer(t, size, sizeof(env) - 1) < 0)
		abort();
	fd = file_of(data, size, (const uint8_t *)env, sizeof(env) - 1);
	if (write(fd, t, sizeof(t)) != (ssize_t)sizeof(t))
		abort();
	if (queuefile_read_envelope(fd, 1 << 20, &b, &msize) != 0 || msize != size ||
	    b.len != sizeof(env) - 1 || memcmp(b.p, env, b.len) != 0)
		abort();
	close(fd);
	buf_free(&b);
	return 0;
}
