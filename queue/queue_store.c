/* queue_store.c: the durable write of one message into the queue
 * (HACKING.md "The queue", common/queuefile.h): the message, its envelope
 * and a trailer in one file tmp/ID.m, fsync'd, renamed to todo/ID (the
 * commit point), todo/ fsync'd: two fsyncs, which on the bench VM's disk
 * run one at a time and were most of the time from end of data to the
 * 250.  Any failure before the commit removes what was made, so a full
 * disk leaves nothing half-written.  The file comes from QUEUE/spare when
 * one is there (queuedir_spare_take: no inode allocated per message),
 * else is created. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queue.h"
#include "queuedir.h"
#include "queuefile.h"

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
	/* No early write-back: the envelope goes into the same last page
	 * microseconds later, and the fsync would wait for that page's
	 * write to end before writing it again. */
	return 0;
}

/* Append raw bytes (no CRLF conversion, not counted in the size). */
static int
put_raw(struct queue_store *s, const char *p, size_t n)
{
	while (n > 0) {
		size_t k;

		if (s->wlen == sizeof(s->wbuf) && flush(s) < 0)
			return -1;
		k = sizeof(s->wbuf) - s->wlen;
		if (k > n)
			k = n;
		memcpy(s->wbuf + s->wlen, p, k);
		s->wlen += k;
		p += k;
		n -= k;
	}
	return 0;
}

int
queue_store_commit(struct queue_store *s, const char *env, size_t len)
{
	char tdir[QUEUEDIR_PATH_MAX], trailer[QUEUEFILE_TRAILER_LEN];
	off_t total;
	int fd;

	if (queuedir_path(tdir, sizeof(tdir), s->queue, QUEUEDIR_TODO, NULL) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (queuefile_trailer(trailer, s->size, len) < 0) {
		errno = EFBIG;
		return -1;
	}
	/* envelope and trailer after the message, with its last bytes in
	 * one write; a reused spare may be longer than all of it */
	total = (off_t)(s->size + len + QUEUEFILE_TRAILER_LEN);
	if (put_raw(s, env, len) < 0 || put_raw(s, trailer, sizeof(trailer)) < 0 ||
	    flush(s) < 0 || (s->reused && ftruncate(s->fd, total) < 0) ||
	    fsync(s->fd) < 0)
		return -1;
	fd = s->fd;
	s->fd = -1;
	if (close(fd) < 0)
		return -1;
	/* The file is durable; the rename commits it, the directory's fsync
	 * makes the commit durable. */
	if (rename_new(s->tmp_mess, s->todo) < 0)
		return -1;
	s->todo_linked = 1;
	if (queuedir_fsync_dir(tdir) < 0)
		return -1;
	return 0;
}

void
queue_store_undo(struct queue_store *s)
{
	int e = errno;

	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->todo_linked) {
		unlink(s->todo);
		unlink(s->tmp_mess);
	} else {
		/* never committed, never had a queue name: back to the pool */
		(void)queuedir_spare_return(s->queue, s->tmp_mess, "m");
	}
	errno = e;
}
