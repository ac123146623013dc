/* queue_store.c: the durable write of one message into the queue
 * (HACKING.md "The queue"): tmp/ID.m and tmp/ID.e written and both
 * fsync'd, renamed to mess/ID and todo/ID (the commit point), both
 * directories fsync'd.  The fsyncs run one after the other in this one
 * thread: on the bench VM's disk concurrent fsyncs do not share a flush,
 * and the threads that ran them at the same time cost more than they
 * saved (measured: HACKING.md).  Any failure before the commit removes
 * what was made, so a full disk leaves nothing half-written.  Both files
 * come from QUEUE/spare when one is there (queuedir_spare_take: no inode
 * allocated per message), else are created. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queue.h"
#include "queuedir.h"

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = write(fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* rename without replacing: an id is never reused over a live file. */
static int
rename_new(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (access(to, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

int
queue_store_open(struct queue_store *s, const char *queue)
{
	int tries;

	memset(s, 0, offsetof(struct queue_store, id));
	s->queue = queue;
	s->fd = -1;
	for (tries = 0; tries < 5; tries++) {
		if (queuedir_id_new(s->id, sizeof(s->id)) < 0)
			return -1;
		if (queuedir_tmp_path(s->tmp_mess, sizeof(s->tmp_mess), queue, s->id, ".m") < 0 ||
		    queuedir_tmp_path(s->tmp_env, sizeof(s->tmp_env), queue, s->id, ".e") < 0 ||
		    queuedir_path(s->mess, sizeof(s->mess), queue, QUEUEDIR_MESS, s->id) < 0 ||
		    queuedir_path(s->todo, sizeof(s->todo), queue, QUEUEDIR_TODO, s->id) < 0) {
			errno = ENAMETOOLONG;
			return -1;
		}
		s->fd = queuedir_spare_take(queue, s->tmp_mess, "m");
		if (s->fd >= 0) {
			s->reused = 1;
			return 0;
		}
		s->fd = open(s->tmp_mess, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (s->fd >= 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static int
flush(struct queue_store *s)
{
	if (s->wlen == 0)
		return 0;
	if (write_all(s->fd, s->wbuf, s->wlen) < 0)
		return -1;
	s->wlen = 0;
	return 0;
}

static int
put(struct queue_store *s, char c)
{
	if (s->wlen == sizeof(s->wbuf) && flush(s) < 0)
		return -1;
	s->wbuf[s->wlen++] = c;
	s->size++;
	return 0;
}

int
queue_store_write(struct queue_store *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];
		if (s->pending_cr) {
			s->pending_cr = 0;
			if (c != '\n' && put(s, '\r') < 0)
				return -1;
		}
		if (c == '\r') {
			s->pending_cr = 1;
			continue;
		}
		if (put(s, c) < 0)
			return -1;
	}
	return 0;
}

int
queue_store_message_done(struct queue_store *s)
{
	if (s->pending_cr) {
		s->pending_cr = 0;
		if (put(s, '\r') < 0)
			return -1;
	}
	if (flush(s) < 0)
		return -1;
	/* A reused spare may be longer than this message. */
	if (s->reused && ftruncate(s->fd, (off_t)s->size) < 0)
		return -1;
	/* Start the write-back now; fsync follows with the envelope's. */
	(void)sync_file_range(s->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	return 0;
}

int
queue_store_commit(struct queue_store *s, const char *env, size_t len)
{
	char mdir[4096], tdir[4096];
	int fd, e, reused;

	if (queuedir_path(mdir, sizeof(mdir), s->queue, QUEUEDIR_MESS, NULL) < 0 ||
	    queuedir_path(tdir, sizeof(tdir), s->queue, QUEUEDIR_TODO, NULL) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	reused = (fd = queuedir_spare_take(s->queue, s->tmp_env, "e")) >= 0;
	if (!reused)
		fd = open(s->tmp_env, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	/* Both files exist and their write-back has started before the
	 * first fsync: the second finds little left to do. */
	if (write_all(fd, env, len) < 0 || (reused && ftruncate(fd, (off_t)len) < 0))
		goto fail;
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (fsync(s->fd) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0)
		return -1;
	fd = s->fd;
	s->fd = -1;
	if (close(fd) < 0)
		return -1;
	/* Both files are durable; now the two renames, message first, and
	 * then both directories (HACKING.md "The queue"). */
	if (rename_new(s->tmp_mess, s->mess) < 0)
		return -1;
	s->mess_linked = 1;
	if (rename_new(s->tmp_env, s->todo) < 0)
		return -1;
	s->todo_linked = 1;
	if (queuedir_fsync_dir(mdir) < 0 || queuedir_fsync_dir(tdir) < 0)
		return -1;
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

void
queue_store_undo(struct queue_store *s)
{
	int e = errno;

	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->todo_linked)
		unlink(s->todo);
	if (s->mess_linked)
		unlink(s->mess);
	unlink(s->tmp_mess);
	unlink(s->tmp_env);
	errno = e;
}
