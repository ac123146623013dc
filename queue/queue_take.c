/* queue_take.c: one message into the queue, what postern-queue does for
 * each message: the message from one descriptor (streamed into the store
 * while it arrives), the envelope from another, both bounded; the calling
 * uid, the arrival time and the stored size go into the envelope; then the
 * durable commit (queue_store.c).  Run once by a postern-queue started
 * for one message (queue_main.c), or for each request by a writer of the
 * resident pool (queue_serve.c). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "envelope.h"
#include "io.h"
#include "log.h"
#include "queue.h"
#include "queue_inject.h"
#include "queuedir.h"

#define EXIT_OK   QUEUE_INJECT_EXIT_OK
#define EXIT_PERM QUEUE_INJECT_EXIT_PERM
#define EXIT_TEMP QUEUE_INJECT_EXIT_TEMP

void
queue_take_prepare(struct queue_take *t)
{
	if (!t->store_open && queue_store_open(&t->store, t->queue) == 0) {
		t->store_open = 1;
		t->opened = time(NULL);
	}
}

void
queue_take_log(const struct queue_take *t, uid_t caller)
{
	log_info("queued", "id=%s uid=%lu size=%llu rcpts=%zu", t->store.id,
	    (unsigned long)caller, (unsigned long long)t->store.size, t->nrcpts);
}

void
queue_take_release(struct queue_take *t)
{
	if (t->store_open) {
		queue_store_undo(&t->store);
		t->store_open = 0;
	}
}

/* The end of a failed take: what was made goes, a line says why. */
static int
fail(struct queue_take *t, int code, const char *event, const char *why)
{
	int e = errno;

	queue_take_release(t);
	log_warn(event, "reason=\"%s\" errno=\"%s\"", why, e ? strerror(e) : "");
	return code;
}

/* read(2) that waits at most t->timeout_ms for bytes and ends by the
 * deadline (-1: no limit).  The bytes read, 0 at the end, -1 (errno;
 * ETIMEDOUT when none came in time). */
static ssize_t
read_limited(const struct queue_take *t, int fd, char *p, size_t n,
    long long deadline)
{
	for (;;) {
		ssize_t r;

		if (t->timeout_ms >= 0) {
			long long by = io_now_ms() + t->timeout_ms;
			int w = io_wait_fd(fd, POLLIN, deadline >= 0 && deadline < by ?
			    deadline : by);

			if (w < 0)
				return -1;
			if (w == 0) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

/* All of fd into b, at most max bytes: 0, -1 (errno), -2 when over. */
static int
read_all(const struct queue_take *t, int fd, struct buf *b, size_t max,
    long long deadline)
{
	char tmp[16384];

	for (;;) {
		ssize_t n = read_limited(t, fd, tmp, sizeof(tmp), deadline);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > max)
			return -2;
		buf_append(b, tmp, (size_t)n);
	}
}

int
queue_take_run(struct queue_take *t, int msgfd, int envfd, uid_t caller,
    char *id, size_t idlen)
{
	char msgbuf[65536], err[512];
	struct envelope *env = NULL;
	struct buf eb = BUF_INIT, out = BUF_INIT;
	long long deadline = t->timeout_ms >= 0 && t->total_ms >= 0 ?
	    io_now_ms() + t->total_ms : -1;
	int code = EXIT_OK;

	for (;;) {
		ssize_t n = read_limited(t, msgfd, msgbuf, sizeof(msgbuf), deadline);
		if (n < 0)
			return fail(t, EXIT_TEMP, "read", "reading the message");
		if (n == 0)
			break;
		queue_take_prepare(t);
		if (!t->store_open)
			return fail(t, EXIT_TEMP, "store", "cannot create the message file");
		if (queue_store_write(&t->store, msgbuf, (size_t)n) < 0)
			return fail(t, EXIT_TEMP, "store", "writing the message");
		if (t->store.size > t->max) {
			errno = 0;
			return fail(t, EXIT_PERM, "refused", "message too large");
		}
	}
	switch (read_all(t, envfd, &eb, ENVELOPE_MAX_SIZE, deadline)) {
	case -1:
		buf_free(&eb);
		return fail(t, EXIT_TEMP, "read", "reading the envelope");
	case -2:
		buf_free(&eb);
		errno = 0;
		return fail(t, EXIT_PERM, "refused", "envelope too large");
	default:
		break;
	}
	if (eb.len == 0) {
		/* The caller gave up (e.g. the SMTP transaction failed), or
		 * started us for a message that never came (nothing to say). */
		if (t->store_open && t->store.size > 0)
			log_info("aborted", "reason=\"no envelope\"");
		queue_take_release(t);
		return EXIT_PERM;
	}
	queue_take_prepare(t);              /* an empty message */
	if (!t->store_open) {
		buf_free(&eb);
		return fail(t, EXIT_TEMP, "store", "cannot create the message file");
	}
	errno = 0;
	if (queue_store_message_done(&t->store) < 0)
		code = fail(t, EXIT_TEMP, "store", "storing the message");
	else if (envelope_parse(eb.p, eb.len, &env, err, sizeof(err)) < 0)
		code = fail(t, EXIT_PERM, "refused", err);
	else if (env->nrcpts == 0)
		code = fail(t, EXIT_PERM, "refused", "no recipients");
	if (code != EXIT_OK)
		goto out;
	env->uid = (uint32_t)caller;
	env->arrival = (uint64_t)time(NULL);
	env->size = t->store.size;
	if (envelope_write(env, &out) < 0) {
		errno = 0;
		code = fail(t, EXIT_PERM, "refused", "envelope field over its limit");
		goto out;
	}
	if (queue_store_commit(&t->store, out.p, out.len) < 0) {
		code = fail(t, EXIT_TEMP, "store", "storing the envelope");
		goto out;
	}
	t->store_open = 0;
	snprintf(id, idlen, "%s", t->store.id);
	t->nrcpts = env->nrcpts;
out:
	envelope_free(env);
	buf_free(&eb);
	buf_free(&out);
	return code;
}
