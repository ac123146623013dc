/* queue_main.c: postern-queue, the only way into the queue (DESIGN.md
 * rule 3).  Setuid to the queue user, runnable by anyone: message on fd 0,
 * envelope (common/envelope.h) on fd 1, the queue id and LF written on
 * fd 3 once the message is durable.  Exit 0 accepted, 100 refused (bad
 * envelope, too large), 111 temporary failure (disk full, any I/O error).
 * The calling uid, the arrival time and the stored size go into the
 * envelope; everything else the caller says is kept as given. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "privdrop.h"
#include "queue.h"
#include "queue_inject.h"
#include "queuedir.h"
#include "svcusers.h"

#define EXIT_OK   QUEUE_INJECT_EXIT_OK
#define EXIT_PERM QUEUE_INJECT_EXIT_PERM
#define EXIT_TEMP QUEUE_INJECT_EXIT_TEMP

static struct queue_store store;
static int store_open;

static void __attribute__((noreturn))
fail(int code, const char *event, const char *why)
{
	if (store_open)
		queue_store_undo(&store);
	log_warn(event, "reason=\"%s\" errno=\"%s\"", why, errno ? strerror(errno) : "");
	exit(code);
}

/* Read all of fd into b, at most max bytes (-2 when over). */
static int
read_all(int fd, struct buf *b, size_t max)
{
	char tmp[16384];

	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > max)
			return -2;
		buf_append(b, tmp, (size_t)n);
	}
}

/* As root (not setuid): become the queue user first, so the files in the
 * queue belong to it. */
static void
drop_root(const struct config *c)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return;
	if (svcusers_lookup(config_str(c, "user_prefix"), SVCUSER_QUEUE, &uid, &gid) < 0)
		fail(EXIT_TEMP, "setup", "queue user not found");
	priv_drop_ids(uid, gid);
}

static void
open_store(const char *queue)
{
	if (queue_store_open(&store, queue) < 0)
		fail(EXIT_TEMP, "store", "cannot create the message file");
	store_open = 1;
}

int
main(int argc, char **argv)
{
	char confpath[4096], err[512], msgbuf[65536];
	const char *given = NULL, *reason = "", *queue;
	struct config *c;
	struct envelope *env = NULL;
	struct buf eb = BUF_INIT, out = BUF_INIT;
	uid_t caller = getuid();
	unsigned long long max;
	int opt;

	log_init("postern-queue", 0);
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt == 'c' && getauxval(AT_SECURE) == 0)
			given = optarg;
		else {
			fprintf(stderr, "usage: postern-queue [-c CONFIG] <message 1<envelope 3>id\n");
			exit(EXIT_PERM);
		}
	}
	/* Setuid: no way back to the caller's uid (it could otherwise signal
	 * or trace us while we hold queue files). */
	if (getauxval(AT_SECURE) != 0 && geteuid() != getuid() &&
	    setresuid(geteuid(), geteuid(), geteuid()) < 0)
		fail(EXIT_TEMP, "setup", "setresuid");
	if (queue_conf_path(given, confpath, sizeof(confpath), &reason) < 0)
		fail(EXIT_TEMP, "setup", reason);
	c = config_load(confpath, err, sizeof(err));
	if (c == NULL)
		fail(EXIT_TEMP, "config", err);
	drop_root(c);
	queue = config_str(c, "queue_dir");
	if (queue == NULL)
		fail(EXIT_TEMP, "config", "queue_dir is not set");
	max = (unsigned long long)config_int(c, "queue_message_max");

	/* The message file is made now, while the caller (postern-smtpd
	 * starts us ahead, so that our start-up overlaps its session) is
	 * still in its dialogue: taking a spare (a directory read and a
	 * rename) is then off the way from the end of data to the reply.  A
	 * message that never comes gives the file back to QUEUE/spare; when
	 * it cannot be made now, it is tried again when bytes arrive. */
	if (queue_store_open(&store, queue) == 0)
		store_open = 1;
	for (;;) {
		ssize_t n = read(0, msgbuf, sizeof(msgbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(EXIT_TEMP, "read", "reading the message");
		}
		if (n == 0)
			break;
		if (!store_open)
			open_store(queue);
		if (queue_store_write(&store, msgbuf, (size_t)n) < 0)
			fail(EXIT_TEMP, "store", "writing the message");
		if (store.size > max) {
			errno = 0;
			fail(EXIT_PERM, "refused", "message too large");
		}
	}
	switch (read_all(1, &eb, ENVELOPE_MAX_SIZE)) {
	case -1:
		fail(EXIT_TEMP, "read", "reading the envelope");
	case -2:
		errno = 0;
		fail(EXIT_PERM, "refused", "envelope too large");
	default:
		break;
	}
	if (eb.len == 0) {
		/* The caller gave up (e.g. the SMTP transaction failed), or
		 * started us for a message that never came (nothing to say). */
		errno = 0;
		if (store_open) {
			if (store.size > 0)
				log_info("aborted", "reason=\"no envelope\"");
			queue_store_undo(&store);
			store_open = 0;
		}
		exit(EXIT_PERM);
	}
	if (!store_open)
		open_store(queue);          /* an empty message */
	if (queue_store_message_done(&store) < 0)
		fail(EXIT_TEMP, "store", "storing the message");
	if (envelope_parse(eb.p, eb.len, &env, err, sizeof(err)) < 0) {
		errno = 0;
		fail(EXIT_PERM, "refused", err);
	}
	if (env->nrcpts == 0) {
		errno = 0;
		fail(EXIT_PERM, "refused", "no recipients");
	}
	env->uid = (uint32_t)caller;
	env->arrival = (uint64_t)time(NULL);
	env->size = store.size;
	if (envelope_write(env, &out) < 0) {
		errno = 0;
		fail(EXIT_PERM, "refused", "envelope field over its limit");
	}
	if (queue_store_commit(&store, out.p, out.len) < 0)
		fail(EXIT_TEMP, "store", "storing the envelope");
	store_open = 0;
	{
		char line[128];
		int k = snprintf(line, sizeof(line), "%s\n", store.id);
		if (write(QUEUE_INJECT_ID_FD, line, (size_t)k) != k) {
			/* The message is committed; the caller sees no id and
			 * reports a temporary failure (at worst a duplicate). */
		}
	}
	queuedir_wake(queue);
	log_info("queued", "id=%s uid=%lu size=%llu rcpts=%zu", store.id,
	    (unsigned long)caller, (unsigned long long)store.size, env->nrcpts);
	envelope_free(env);
	buf_free(&eb);
	buf_free(&out);
	config_free(c);
	return EXIT_OK;
}
