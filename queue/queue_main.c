/* queue_main.c: postern-queue, the only way into the queue (DESIGN.md
 * rule 3).  Setuid to the queue user, runnable by anyone: message on fd 0,
 * envelope (common/envelope.h) on fd 1, the queue id and LF written on
 * fd 3 once the message is durable.  Exit 0 accepted, 100 refused (bad
 * envelope, too large), 111 temporary failure (disk full, any I/O error).
 * The calling uid, the arrival time and the stored size go into the
 * envelope; everything else the caller says is kept as given
 * (queue_take.c).  -S: the resident writers instead (queue_serve.c),
 * started by `postern run` with their socket on fd 0; not setuid. */
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

#include "config.h"
#include "log.h"
#include "privdrop.h"
#include "queue.h"
#include "queue_inject.h"
#include "queuedir.h"
#include "svcusers.h"

#define EXIT_OK   QUEUE_INJECT_EXIT_OK
#define EXIT_PERM QUEUE_INJECT_EXIT_PERM
#define EXIT_TEMP QUEUE_INJECT_EXIT_TEMP

static struct queue_take take;

static void __attribute__((noreturn))
fail(int code, const char *event, const char *why)
{
	queue_take_release(&take);
	log_warn(event, "reason=\"%s\" errno=\"%s\"", why, errno ? strerror(errno) : "");
	exit(code);
}

/* The queue user's ids when running as root (the files in the queue
 * belong to it); 0 when not root. */
static int
queue_user(const struct config *c, uid_t *uid, gid_t *gid)
{
	if (geteuid() != 0)
		return 0;
	if (svcusers_lookup(config_str(c, "user_prefix"), SVCUSER_QUEUE, uid, gid) < 0)
		fail(EXIT_TEMP, "setup", "queue user not found");
	return 1;
}

int
main(int argc, char **argv)
{
	char confpath[4096], err[512], id[128];
	const char *given = NULL, *reason = "";
	struct config *c;
	uid_t caller = getuid(), quid = 0;
	gid_t qgid = 0;
	int opt, serve = 0, code;

	log_init("postern-queue", 0);
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "c:S")) != -1) {
		if (opt == 'c' && getauxval(AT_SECURE) == 0)
			given = optarg;
		else if (opt == 'S' && getauxval(AT_SECURE) == 0)
			serve = 1;
		else {
			fprintf(stderr, "usage: postern-queue [-c CONFIG] <message 1<envelope 3>id\n"
			    "       postern-queue -S [-c CONFIG]   (the writers; started by postern run)\n");
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
	if (queue_user(c, &quid, &qgid))
		priv_drop_ids(quid, qgid);
	if (serve) {
		code = queue_serve(c);
		config_free(c);
		return code;
	}
	take.queue = config_str(c, "queue_dir");
	if (take.queue == NULL)
		fail(EXIT_TEMP, "config", "queue_dir is not set");
	take.max = (unsigned long long)config_int(c, "queue_message_max");
	take.timeout_ms = -1;
	take.total_ms = -1;

	/* The message file is made now, while the caller (postern-smtpd
	 * starts us ahead, so that our start-up overlaps its session) is
	 * still in its dialogue.  A message that never comes gives the file
	 * back to QUEUE/spare. */
	queue_take_prepare(&take);
	code = queue_take_run(&take, 0, 1, caller, id, sizeof(id));
	if (code == EXIT_OK) {
		char line[160];
		int k = snprintf(line, sizeof(line), "%s\n", id);
		if (write(QUEUE_INJECT_ID_FD, line, (size_t)k) != k) {
			/* The message is committed; the caller sees no id and
			 * reports a temporary failure (at worst a duplicate). */
		}
		queuedir_wake(take.queue);
		queue_take_log(&take, caller);
	}
	config_free(c);
	return code;
}
