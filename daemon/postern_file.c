/* postern_file.c: atomic whole-file writes for `postern` (tmp file in the
 * same directory, fsync, rename, fsync of the directory). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "postern.h"

int
write_file_atomic(const char *path, const void *p, size_t len, int mode)
{
	struct buf tmp = BUF_INIT;
	char *copy, *dir;
	int fd, dfd, saved;

	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    (mode_t)mode);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, (mode_t)mode) < 0 || io_write_all(fd, p, len, -1) != IO_OK ||
	    fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(buf_cstr(&tmp));
		errno = saved;
		goto fail;
	}
	if (close(fd) < 0 || rename(buf_cstr(&tmp), path) < 0) {
		saved = errno;
		unlink(buf_cstr(&tmp));
		errno = saved;
		goto fail;
	}
	buf_free(&tmp);
	copy = xstrdup(path);
	dir = dirname(copy);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(copy);
	return 0;
fail:
	saved = errno;
	buf_free(&tmp);
	errno = saved;
	return -1;
}
