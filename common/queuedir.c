/* queuedir.c: queue tree paths, ids, directory fsync and the wake FIFO
 * (see queuedir.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "queuedir.h"

int
queuedir_id_new(char *out, size_t outlen)
{
	unsigned char r[8];
	size_t got = 0;
	int n;

	while (got < sizeof(r)) {
		ssize_t k = getrandom(r + got, sizeof(r) - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)k;
	}
	n = snprintf(out, outlen, "%llu.%02x%02x%02x%02x%02x%02x%02x%02x",
	    (unsigned long long)time(NULL), r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7]);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int
queuedir_id_valid(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > QUEUEDIR_ID_MAX || p[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		char c = p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
queuedir_path(char *out, size_t outlen, const char *queue, const char *sub,
    const char *id)
{
	int n;

	if (id != NULL && !queuedir_id_valid(id, strlen(id)))
		return -1;
	if (id != NULL)
		n = snprintf(out, outlen, "%s/%s/%s", queue, sub, id);
	else
		n = snprintf(out, outlen, "%s/%s", queue, sub);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int
queuedir_tmp_path(char *out, size_t outlen, const char *queue, const char *id,
    const char *suffix)
{
	int n;

	if (!queuedir_id_valid(id, strlen(id)))
		return -1;
	n = snprintf(out, outlen, "%s/%s/%s%s", queue, QUEUEDIR_TMP, id, suffix);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int
queuedir_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r, e;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

void
queuedir_wake(const char *queue)
{
	char path[QUEUEDIR_PATH_MAX];
	int fd;

	if (queuedir_path(path, sizeof(path), queue, QUEUEDIR_WAKE, NULL) < 0)
		return;
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "w", 1) < 0) {
		/* EAGAIN: the FIFO is full, the manager will wake anyway. */
	}
	close(fd);
}
