/* queuefile.c: the trailer of a committed queue file (queuefile.h):
 * written by postern-queue, read back by postern-send and postern-qstat
 * (whole envelope and state files they read with lines_read_file). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queuefile.h"

int
queuefile_trailer(char *out, uint64_t size, size_t elen)
{
	char tmp[QUEUEFILE_TRAILER_LEN + 1];

	if ((uint64_t)elen > 0xffffffffu)
		return -1;
	if (snprintf(tmp, sizeof(tmp), "\nPQ1 %016llx %08x\n",
	    (unsigned long long)size, (unsigned)elen) != QUEUEFILE_TRAILER_LEN)
		return -1;
	memcpy(out, tmp, QUEUEFILE_TRAILER_LEN);
	return 0;
}

/* n lowercase hex digits at p.  0 or -1. */
static int
hex(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

int
queuefile_parse_trailer(const char *p, uint64_t filesize, uint64_t *size,
    size_t *elen)
{
	uint64_t s, e;

	if (memcmp(p, "\nPQ1 ", 5) != 0 || p[21] != ' ' || p[QUEUEFILE_TRAILER_LEN - 1] != '\n' ||
	    hex(p + 5, 16, &s) < 0 || hex(p + 22, 8, &e) < 0)
		return -1;
	/* s + e + trailer == filesize, without overflow */
	if (filesize < QUEUEFILE_TRAILER_LEN || e > filesize - QUEUEFILE_TRAILER_LEN ||
	    s != filesize - QUEUEFILE_TRAILER_LEN - e)
		return -1;
	*size = s;
	*elen = (size_t)e;
	return 0;
}

static int
pread_all(int fd, char *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EPROTO;     /* shorter than it said */
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int
queuefile_read_envelope(int fd, size_t max, struct buf *env, uint64_t *size)
{
	char t[QUEUEFILE_TRAILER_LEN], chunk[16384];
	struct stat sb;
	uint64_t s, off;
	size_t elen;

	if (fstat(fd, &sb) < 0)
		return -1;
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size < QUEUEFILE_TRAILER_LEN) {
		errno = EPROTO;
		return -1;
	}
	if (pread_all(fd, t, sizeof(t), (uint64_t)sb.st_size - QUEUEFILE_TRAILER_LEN) < 0)
		return -1;
	if (queuefile_parse_trailer(t, (uint64_t)sb.st_size, &s, &elen) < 0) {
		errno = EPROTO;
		return -1;
	}
	if (elen > max) {
		errno = EFBIG;
		return -1;
	}
	for (off = s; elen > 0;) {
		size_t n = elen < sizeof(chunk) ? elen : sizeof(chunk);

		if (pread_all(fd, chunk, n, off) < 0)
			return -1;
		buf_append(env, chunk, n);
		off += n;
		elen -= n;
	}
	*size = s;
	return 0;
}

int
queuefile_read_envelope_at(const char *path, size_t max, struct buf *env,
    uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, e;

	if (fd < 0)
		return -1;
	rc = queuefile_read_envelope(fd, max, env, size);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
