/* postern_queue.c: the queue service of `postern run`, joined as
 * qmail-start joins its children, but with UNIX stream socketpairs (the
 * delivery protocol of common/spawnproto.h passes each message as a
 * descriptor with SCM_RIGHTS, which pipes cannot carry):
 *   postern-lspawn   its socket on fds 0 and 1
 *   postern-rspawn   its socket on fds 0 and 1
 *   postern-send     lspawn's socket on fd 3, rspawn's on fd 4
 *                    (also named by POSTERN_LSPAWN_FD=3, POSTERN_RSPAWN_FD=4)
 * Each drops privilege itself (send to the queue user, rspawn to the
 * remote user; lspawn stays root).  When one of them exits the others are
 * stopped and this returns, so that the supervisor restarts the three
 * together. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "postern_run.h"

/* Fork and exec libexec/name with descriptor from[i] on to[i]. */
static pid_t
spawn(const char *libexec, const char *name, const int *from, const int *to,
    int n)
{
	char path[4096];
	int i, moved[4];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", libexec, name);
	pid = fork();
	if (pid != 0)
		return pid;
	/* Move the sources out of the way first, so that no dup2 overwrites
	 * a source still needed. */
	for (i = 0; i < n; i++)
		if ((moved[i] = fcntl(from[i], F_DUPFD, 20)) < 0)
			_exit(111);
	for (i = 0; i < n; i++)
		if (dup2(moved[i], to[i]) < 0)
			_exit(111);
	closefrom(to[n - 1] + 1 > 3 ? to[n - 1] + 1 : 3);
	execl(path, name, (char *)NULL);
	_exit(111);
}

int
queue_start(const char *libexec)
{
	int ls[2], rs[2], st, i;
	pid_t pids[3];
	const char *names[3] = { "postern-lspawn", "postern-rspawn", "postern-send" };

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ls) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rs) < 0) {
		log_error("queue", "error=\"socketpair: %m\"");
		return 111;
	}
	{
		int lf[2] = { ls[1], ls[1] }, rf[2] = { rs[1], rs[1] }, sp[2] = { 0, 1 };
		int sf[2] = { ls[0], rs[0] }, st_[2] = { 3, 4 };

		pids[0] = spawn(libexec, names[0], lf, sp, 2);
		pids[1] = spawn(libexec, names[1], rf, sp, 2);
		setenv("POSTERN_LSPAWN_FD", "3", 1);
		setenv("POSTERN_RSPAWN_FD", "4", 1);
		pids[2] = spawn(libexec, names[2], sf, st_, 2);
	}
	for (i = 0; i < 2; i++) {
		close(ls[i]);
		close(rs[i]);
	}
	for (;;) {
		pid_t p = wait(&st);
		if (p < 0 && errno == EINTR)
			continue;
		for (i = 0; i < 3; i++)
			if (p == pids[i]) {
				log_warn("queue", "program=%s status=%d", names[i],
				    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
				pids[i] = 0;
			}
		break;
	}
	for (i = 0; i < 3; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(&st) > 0 || errno == EINTR)
		;
	return 111;
}

/* --- `postern queue list|flush|delete|hold|release DIR [ID]` ------------
 * Admin commands on an instance's queue (HACKING.md "The queue").  list
 * runs postern-qstat; the others move or remove the message's files and
 * then write a byte into QUEUE/wake: 'F' (flush: every deferred recipient
 * is due now) or 'R' (rescan env/: a held or deleted message is forgotten,
 * a released one taken back). */
#include <sys/stat.h>
#include <string.h>
#include <err.h>
#include "config.h"
#include "instance.h"
#include "postern.h"
#include "queuedir.h"

static int
queue_wake_byte(const char *queue, char c)
{
	char path[QUEUEDIR_PATH_MAX];
	int fd;

	if (queuedir_path(path, sizeof(path), queue, QUEUEDIR_WAKE, NULL) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENXIO)
			warnx("postern-send is not running: the change takes effect when it starts");
		else
			warn("%s", path);
		return -1;
	}
	if (write(fd, &c, 1) != 1)
		warn("%s", path);
	close(fd);
	return 0;
}

static int
queue_move(const char *queue, const char *id, const char *const *from,
    const char *to)
{
	char src[QUEUEDIR_PATH_MAX], dst[QUEUEDIR_PATH_MAX], dir[QUEUEDIR_PATH_MAX];
	size_t i;

	if (queuedir_path(dst, sizeof(dst), queue, to, id) < 0)
		return -1;
	for (i = 0; from[i] != NULL; i++) {
		if (queuedir_path(src, sizeof(src), queue, from[i], id) < 0)
			return -1;
		if (rename(src, dst) == 0) {
			if (queuedir_path(dir, sizeof(dir), queue, to, NULL) == 0)
				queuedir_fsync_dir(dir);
			return 0;
		}
		if (errno != ENOENT) {
			warn("%s", src);
			return -1;
		}
	}
	errno = ENOENT;
	return -1;
}

static int
queue_delete(const char *queue, const char *id)
{
	const char *subs[] = { QUEUEDIR_ENV, QUEUEDIR_TODO, QUEUEDIR_HOLD, NULL };
	char path[QUEUEDIR_PATH_MAX];
	int found = 0;
	size_t i;

	for (i = 0; subs[i] != NULL; i++)
		if (queuedir_path(path, sizeof(path), queue, subs[i], id) == 0 &&
		    unlink(path) == 0)
			found = 1;
	if (!found)
		return -1;
	if (queuedir_path(path, sizeof(path), queue, QUEUEDIR_STATE, id) == 0)
		unlink(path);
	if (queuedir_path(path, sizeof(path), queue, QUEUEDIR_MESS, id) == 0)
		unlink(path);
	return 0;
}

static const char *
qstat_path(char *out, size_t outlen)
{
	const char *env = getenv("POSTERN_LIBEXEC");
	char exe[3000];
	ssize_t n;

	if (env != NULL) {
		snprintf(out, outlen, "%s/postern-qstat", env);
		return out;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		if ((size_t)snprintf(out, outlen, "%.3000s/../libexec/postern/postern-qstat",
		    exe) < outlen && access(out, X_OK) == 0)
			return out;
		if ((size_t)snprintf(out, outlen, "%.3000s/postern-qstat", exe) < outlen)
			return out;
	}
	return "postern-qstat";
}

int
postern_queue_cmd(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "", *queue;
	/* not todo/: a new message's file holds message and envelope
	 * (common/queuefile.h) until postern-send takes it in */
	const char *from_env[] = { QUEUEDIR_ENV, NULL };
	const char *from_hold[] = { QUEUEDIR_HOLD, NULL };
	struct instance ip;
	struct config *c;
	char why[512], prog[4096];
	int need_id = strcmp(sub, "delete") == 0 || strcmp(sub, "hold") == 0 ||
	    strcmp(sub, "release") == 0;
	int rc = 0;

	if (argc < 3 || (need_id && argc != 4) || (!need_id && argc != 3) ||
	    (!need_id && strcmp(sub, "list") != 0 && strcmp(sub, "flush") != 0)) {
		fprintf(stderr, "usage: postern queue list|flush DIR\n"
		    "       postern queue delete|hold|release DIR ID\n");
		return 100;
	}
	if (instance_init(&ip, argv[2]) < 0)
		err(111, "%s", argv[2]);
	c = config_load(ip.conf, why, sizeof(why));
	if (c == NULL)
		errx(111, "%s", why);
	queue = config_str(c, "queue_dir");
	if (queue == NULL)
		errx(111, "%s: queue_dir is not set", ip.conf);
	if (need_id && !queuedir_id_valid(argv[3], strlen(argv[3])))
		errx(100, "not a queue id: %s", argv[3]);
	if (strcmp(sub, "list") == 0) {
		fflush(stdout);
		execl(qstat_path(prog, sizeof(prog)), "postern-qstat", "-c", ip.conf,
		    (char *)NULL);
		err(111, "%s", prog);
	} else if (strcmp(sub, "flush") == 0) {
		queue_wake_byte(queue, 'F');
		printf("flush requested\n");
	} else if (strcmp(sub, "hold") == 0) {
		if (queue_move(queue, argv[3], from_env, QUEUEDIR_HOLD) < 0) {
			char todo[QUEUEDIR_PATH_MAX];

			if (queuedir_path(todo, sizeof(todo), queue, QUEUEDIR_TODO,
			    argv[3]) == 0 && access(todo, F_OK) == 0) {
				warnx("%s: new, not yet taken in by postern-send "
				    "(its first delivery attempt may be running, or "
				    "postern-send is not): try again", argv[3]);
				rc = 111;
			} else {
				warnx("%s: not in the queue (or already held)", argv[3]);
				rc = 100;
			}
		} else {
			queue_wake_byte(queue, 'R');
			printf("held %s\n", argv[3]);
		}
	} else if (strcmp(sub, "release") == 0) {
		if (queue_move(queue, argv[3], from_hold, QUEUEDIR_ENV) < 0) {
			warnx("%s: not held", argv[3]);
			rc = 100;
		} else {
			queue_wake_byte(queue, 'R');
			printf("released %s\n", argv[3]);
		}
	} else {
		if (queue_delete(queue, argv[3]) < 0) {
			warnx("%s: not in the queue", argv[3]);
			rc = 100;
		} else {
			queue_wake_byte(queue, 'R');
			printf("deleted %s\n", argv[3]);
		}
	}
	config_free(c);
	instance_free(&ip);
	return rc;
}
