/* queue_store.c: the durable write of one message into the queue
 * (HACKING.md "The queue"): tmp/ID.m and tmp/ID.e written, renamed to
 * mess/ID and todo/ID (message first), then both files and both
 * directories fsync'd at the same time (three of the four in short-lived
 * threads): concurrent fsyncs share one flush of the device cache
 * (measured on ext4 without a journal), so the message is durable after
 * one flush instead of two.  The renames may reach the disk before the
 * bytes do; the envelope carries the message's id, size and CRC-32, and
 * postern-send checks them when it recovers todo/ after a crash (no
 * success was reported for such a message).  Any failure removes what
 * was made, so a full disk leaves nothing half-written.  Both files come
 * from QUEUE/spare when one is there (queuedir_spare_take: no inode
 * allocated per message), else are created. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
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
		s->fd = open(s->tmp_mess, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    QUEUEDIR_MODE_WRITING);
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
	s->crc = envelope_crc32(s->crc, s->wbuf, s->wlen);
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

/* One fsync job: a descriptor, or a directory to open and fsync. */
struct sync_job {
	int fd;
	const char *dir;
	int err;        /* 0, or the errno of the failure */
};

static void *
sync_run(void *arg)
{
	struct sync_job *j = arg;
	int r = j->dir != NULL ? queuedir_fsync_dir(j->dir) : fsync(j->fd);

	j->err = r < 0 ? (errno != 0 ? errno : EIO) : 0;
	return NULL;
}

/* All n jobs at once: jobs 1..n-1 in threads (small stacks), job 0 here;
 * every job runs to its end whatever the others do.  A job whose thread
 * cannot be made runs here after job 0.  0, or -1 with errno of the first
 * failure. */
#define SYNC_JOBS_MAX 4
static int
sync_all(struct sync_job *jobs, int n)
{
	pthread_attr_t at;
	pthread_t t[SYNC_JOBS_MAX];
	int started[SYNC_JOBS_MAX] = { 0 }, attr, i;

	attr = pthread_attr_init(&at) == 0;
	if (attr)
		(void)pthread_attr_setstacksize(&at, 64 * 1024);
	for (i = 1; i < n && attr; i++)
		started[i] = pthread_create(&t[i], &at, sync_run, &jobs[i]) == 0;
	if (attr)
		pthread_attr_destroy(&at);
	sync_run(&jobs[0]);
	for (i = 1; i < n; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		else
			sync_run(&jobs[i]);
	}
	for (i = 0; i < n; i++)
		if (jobs[i].err != 0) {
			errno = jobs[i].err;
			return -1;
		}
	return 0;
}

int
queue_store_commit(struct queue_store *s, const char *env, size_t len)
{
	char mdir[4096], tdir[4096];
	struct sync_job jobs[4];
	int fd, e, reused;

	if (queuedir_path(mdir, sizeof(mdir), s->queue, QUEUEDIR_MESS, NULL) < 0 ||
	    queuedir_path(tdir, sizeof(tdir), s->queue, QUEUEDIR_TODO, NULL) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	reused = (fd = queuedir_spare_take(s->queue, s->tmp_env, "e")) >= 0;
	if (!reused)
		fd = open(s->tmp_env, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    QUEUEDIR_MODE_WRITING);
	if (fd < 0)
		return -1;
	/* Held until we exit: postern-send leaves todo/ID alone while a
	 * live writer may still be in its fsyncs (without the lock it
	 * would only do them again itself). */
	(void)flock(fd, LOCK_EX | LOCK_NB);
	if (write_all(fd, env, len) < 0 || (reused && ftruncate(fd, (off_t)len) < 0))
		goto fail;
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	/* The names first, message before envelope (postern-send takes in
	 * todo/ID only with its mess/ID there); then everything at once. */
	if (rename_new(s->tmp_mess, s->mess) < 0)
		goto fail;
	s->mess_linked = 1;
	if (rename_new(s->tmp_env, s->todo) < 0)
		goto fail;
	s->todo_linked = 1;
	jobs[0] = (struct sync_job){ .fd = s->fd };
	jobs[1] = (struct sync_job){ .fd = fd };
	jobs[2] = (struct sync_job){ .fd = -1, .dir = mdir };
	jobs[3] = (struct sync_job){ .fd = -1, .dir = tdir };
	if (sync_all(jobs, 4) < 0)
		goto fail;
	/* Durable: the mark postern-send takes it in by (a failed fchmod
	 * only makes it check and fsync again) */
	(void)fchmod(fd, QUEUEDIR_MODE_DONE);
	if (close(fd) < 0)
		return -1;
	fd = s->fd;
	s->fd = -1;
	return close(fd);
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
	/* todo/ID back to tmp/ first: if postern-send took it in already
	 * (it may, once the name is there), the message is its now */
	if (s->todo_linked && rename(s->todo, s->tmp_env) < 0) {
		if (errno == ENOENT)
			s->taken = 1;
		else
			unlink(s->todo);
	}
	if (s->mess_linked && !s->taken)
		unlink(s->mess);
	unlink(s->tmp_mess);
	unlink(s->tmp_env);
	errno = e;
}
