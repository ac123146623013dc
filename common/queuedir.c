/* queuedir.c: queue tree paths, ids, directory fsync and the wake FIFO
 * (see queuedir.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
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

const char *const queuedir_subdirs[] = {
	QUEUEDIR_TMP, QUEUEDIR_MESS, QUEUEDIR_TODO, QUEUEDIR_ENV,
	QUEUEDIR_STATE, QUEUEDIR_HOLD, QUEUEDIR_BOUNCE, QUEUEDIR_SPARE
};
const size_t queuedir_nsubdirs = sizeof(queuedir_subdirs) / sizeof(queuedir_subdirs[0]);

#define SPARE_TRIES 8

/* A slot number: spreading only, no secrecy (xorshift, seeded once). */
static unsigned
spare_slot(void)
{
	static uint32_t x;

	if (x == 0)
		x = ((uint32_t)getpid() << 16) ^ (uint32_t)time(NULL) ^
		    (uint32_t)(uintptr_t)&x ^ 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x % QUEUEDIR_SPARE_SLOTS;
}

static int
spare_path(char *out, size_t outlen, const char *queue, unsigned slot)
{
	int n = snprintf(out, outlen, "%s/%s/%03u", queue, QUEUEDIR_SPARE, slot);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
queuedir_spare_take(const char *queue, const char *dest)
{
	char path[QUEUEDIR_PATH_MAX];
	int i, fd;

	for (i = 0; i < SPARE_TRIES; i++) {
		if (spare_path(path, sizeof(path), queue, spare_slot()) < 0)
			return -1;
		if (renameat2(AT_FDCWD, path, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
			break;
		if (errno != ENOENT)
			return -1;      /* no spare/ (an older tree), EEXIST, ... */
	}
	if (i == SPARE_TRIES)
		return -1;
	fd = open(dest, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || futimens(fd, NULL) < 0) {
		if (fd >= 0)
			close(fd);
		unlink(dest);
		return -1;
	}
	return fd;
}

int
queuedir_spare_give(const char *queue, const char *path)
{
	char slot[QUEUEDIR_PATH_MAX];
	struct stat st;
	int i;

	if (lstat(path, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode) && st.st_size <= QUEUEDIR_SPARE_MAX) {
		for (i = 0; i < SPARE_TRIES; i++) {
			if (spare_path(slot, sizeof(slot), queue, spare_slot()) < 0)
				break;
			if (renameat2(AT_FDCWD, path, AT_FDCWD, slot, RENAME_NOREPLACE) == 0)
				return 0;
			if (errno != EEXIST)
				break;  /* ENOENT: path went away, or no spare/ */
		}
	}
	return unlink(path);
}
