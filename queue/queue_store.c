/* queue_store.c: the durable write of one message into the queue
 * (HACKING.md "The queue"): tmp/ID.m and tmp/ID.e written and both
 * fsync'd, renamed to mess/ID and todo/ID (the commit point), both
 * directories fsync'd.  The two fsyncs of each pair run at the same time
 * (the second in a short-lived thread): concurrent fsyncs share the
 * device cache flush (and the journal commit where there is a journal)
 * instead of paying one each (measured on ext4 without a journal), and
 * the order that matters is kept (both files durable before the renames,
 * both directories durable before success).  Any failure before the
 * commit removes what was made, so a full disk leaves nothing
 * half-written.  Both files come from QUEUE/spare when one is there
 * (queuedir_spare_take: no inode allocated per message), else are
 * created. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

/* Both jobs at once: b in a thread (small stack), a here; both run to the
 * end whatever the other does.  Without a thread, one after the other.
 * 0, or -1 with errno of the first failure. */
static int
sync_both(struct sync_job *a, struct sync_job *b)
{
	pthread_attr_t at;
	pthread_t t;
	int started = 0;

	if (pthread_attr_init(&at) == 0) {
		(void)pthread_attr_setstacksize(&at, 64 * 1024);
		started = pthread_create(&t, &at, sync_run, b) == 0;
		pthread_attr_destroy(&at);
	}
	sync_run(a);
	if (started)
		pthread_join(t, NULL);
	else
		sync_run(b);
	if (a->err != 0 || b->err != 0) {
		errno = a->err != 0 ? a->err : b->err;
		return -1;
	}
	return 0;
}

int
queue_store_commit(struct queue_store *s, const char *env, size_t len)
{
	char mdir[4096], tdir[4096];
	struct sync_job ja = { .fd = s->fd }, jb = { .fd = -1 };
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
	/* Both files exist and their write-back has started before either
	 * fsync: one journal commit holds both. */
	if (write_all(fd, env, len) < 0 || (reused && ftruncate(fd, (off_t)len) < 0))
		goto fail;
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	jb.fd = fd;
	if (sync_both(&ja, &jb) < 0)
		goto fail;
	if (close(fd) < 0)
		return -1;
	fd = s->fd;
	s->fd = -1;
	if (close(fd) < 0)
		return -1;
	/* Both files are durable; now the two renames, message first, and
	 * then both directories at once (HACKING.md "The queue"). */
	if (rename_new(s->tmp_mess, s->mess) < 0)
		return -1;
	s->mess_linked = 1;
	if (rename_new(s->tmp_env, s->todo) < 0)
		return -1;
	s->todo_linked = 1;
	ja = (struct sync_job){ .fd = -1, .dir = mdir };
	jb = (struct sync_job){ .fd = -1, .dir = tdir };
	return sync_both(&ja, &jb);
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
