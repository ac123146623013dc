/* maildir_test_util.h: helpers shared by the Maildir unit tests (temporary
 * directories, small file writes). */
#ifndef MAILDIR_TEST_UTIL_H
#define MAILDIR_TEST_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>

static int
mt_rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static inline void
mt_rmtree(const char *dir)
{
	nftw(dir, mt_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static inline char *
mt_tempdir(void)
{
	char *d = strdup("/tmp/postern-mdtest-XXXXXX");
	if (!mkdtemp(d))
		abort();
	return d;
}

static inline void
mt_write(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		abort();
	close(fd);
}

static inline int
mt_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

#endif
