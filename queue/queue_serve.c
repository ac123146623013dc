/* queue_serve.c: postern-queue -S, the resident writers.  A postern-queue
 * started per message costs an exec, glibc's start-up, the config read and
 * an exit: most of its CPU, for a program whose whole privilege is the
 * queue user's, which a resident process of that user has as well.  So
 * `postern run` starts this pool as the queue user, with the listening
 * socket (bound by the supervisor in the run directory) on fd 0, and
 * postern-smtpd hands a finished message to one of its writers instead of
 * starting a process (common/queue_inject.h, "the writers").
 *
 * The request: postern-smtpd connects, a writer accepts and sends one byte
 * "R" (ready); postern-smtpd sends the read ends of its message and
 * envelope pipes and the write end of its answer pipe (SCM_RIGHTS).  The
 * writer takes the message as a postern-queue process would
 * (queue_take.c, each read bounded by WRITER_READ_MS, the whole request
 * by WRITER_TOTAL_MS: postern-smtpd hands over only a message that has
 * ended, so a legitimate request takes milliseconds), then writes the
 * queue id and LF on the answer pipe once the message is durable, or "!"
 * and the exit status a process would have had (100, 111) and LF.
 *
 * Only postern-smtpd's user (and our own) may connect (SO_PEERCRED;
 * everyone else runs the setuid postern-queue).  Each writer serves one message at a time,
 * WRITER_MAX_USE messages in all, then ends and the master starts another
 * (no state lives long); the master starts one again when a writer dies.
 * SIGTERM: a writer ends after its message; the master stops the writers
 * and ends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fdpass.h"
#include "log.h"
#include "queue.h"
#include "queue_inject.h"
#include "queuedir.h"
#include "svcusers.h"

#define WRITERS_MAX 64
#define WRITER_MAX_USE 1000
#define WRITER_READ_MS 10000         /* each read of a request */
#define WRITER_TOTAL_MS 60000        /* all of a request */
#define WRITER_HANDOFF_MS 5000       /* from "R" to the descriptors */
#define WRITER_IDLE_S 600            /* a file made ahead is made again */

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
on_child(int sig)
{
	(void)sig;
}

/* SIGTERM, SIGHUP (and in the master SIGCHLD) stay blocked except while
 * waiting (sigsuspend, epoll_pwait with *waiting): a stop that comes just
 * before a wait is not lost, and no read or write in a message is ever
 * interrupted. */
static void
catch_signals(sigset_t *waiting)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, waiting);
	sigdelset(waiting, SIGTERM);
	sigdelset(waiting, SIGHUP);
	sigdelset(waiting, SIGCHLD);
}

/* The descriptors of one request, after "R": 0, or -1 (all closed). */
static int
recv_request(int conn, int fds[3])
{
	struct timeval tv = { WRITER_HANDOFF_MS / 1000, 0 };
	char rec[8];
	int n = 0, trunc = 0, i;
	ssize_t r;

	if (setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    write(conn, "R", 1) != 1)
		return -1;
	do
		r = fdpass_recv(conn, rec, sizeof(rec), fds, 3, &n, &trunc);
	while (r < 0 && errno == EINTR);
	if (r == 1 && rec[0] == 'M' && n == 3 && !trunc)
		return 0;
	for (i = 0; i < n; i++)
		close(fds[i]);
	return -1;
}

static void
answer(int fd, int code, const char *id)
{
	char line[160];
	int k = code == QUEUE_INJECT_EXIT_OK ? snprintf(line, sizeof(line), "%s\n", id) :
	    snprintf(line, sizeof(line), "!%d\n", code);

	/* never blocked by a peer that passed a full pipe */
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	if (write(fd, line, (size_t)k) != k) {
		/* the caller is gone: it answered 451 (at worst a duplicate) */
	}
}

static void __attribute__((noreturn))
writer(int lfd, const char *queue, unsigned long long max, uid_t smtpd_uid,
    pid_t master, const sigset_t *waiting)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	struct queue_take t;
	char id[128];
	int served = 0, ep;

	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	/* one writer woken per connection, not all of them */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		log_error("setup", "error=\"epoll: %m\"");
		_exit(111);
	}
	memset(&t, 0, sizeof(t));
	t.queue = queue;
	t.max = max;
	t.timeout_ms = WRITER_READ_MS;
	t.total_ms = WRITER_TOTAL_MS;
	while (!stopping && served < WRITER_MAX_USE) {
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		int conn, fds[3], code;

		if (t.store_open && time(NULL) - t.opened >= WRITER_IDLE_S)
			queue_take_release(&t);
		queue_take_prepare(&t);
		if (epoll_pwait(ep, &ev, 1, WRITER_IDLE_S * 1000, waiting) <= 0)
			continue;        /* a signal, or idle: see above */
		/* the listening socket does not block: another writer may
		 * have taken the connection */
		conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != ECONNABORTED) {
				log_error("accept", "error=\"%m\"");
				sleep(1);
			}
			continue;
		}
		if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
		    (cr.uid != smtpd_uid && cr.uid != getuid())) {
			log_warn("refused-peer", "uid=%lu", (unsigned long)cr.uid);
			close(conn);
			continue;
		}
		if (recv_request(conn, fds) < 0) {
			log_warn("bad-request", "uid=%lu reason=\"no descriptors, or not in time\"",
			    (unsigned long)cr.uid);
			close(conn);
			continue;
		}
		close(conn);
		code = queue_take_run(&t, fds[0], fds[1], cr.uid, id, sizeof(id));
		answer(fds[2], code, id);
		close(fds[0]);
		close(fds[1]);
		close(fds[2]);
		if (code == QUEUE_INJECT_EXIT_OK) {
			queuedir_wake(queue);
			queue_take_log(&t, cr.uid);
		}
		served++;
	}
	queue_take_release(&t);
	_exit(0);
}

int
queue_serve(const struct config *c)
{
	pid_t pids[WRITERS_MAX], p;
	time_t started[WRITERS_MAX];
	const char *queue = config_str(c, "queue_dir");
	long long n = config_int(c, "queue_writers");
	unsigned long long max = (unsigned long long)config_int(c, "queue_message_max");
	uid_t smtpd_uid = getuid();
	sigset_t waiting;
	gid_t g;
	int listening = 0, i, st, fl;
	socklen_t len = sizeof(listening);

	catch_signals(&waiting);
	if (n > WRITERS_MAX)
		n = WRITERS_MAX;
	if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
		log_error("setup", "error=\"fd 0 is not a listening socket\"");
		return 111;
	}
	if (queue == NULL || n <= 0) {
		log_error("setup", "error=\"queue_dir unset or no writers\"");
		return 111;
	}
	if ((fl = fcntl(0, F_GETFL)) < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_error("setup", "error=\"O_NONBLOCK: %m\"");
		return 111;
	}
	if (svcusers_lookup(config_str(c, "user_prefix"), SVCUSER_SMTPD, &smtpd_uid, &g) < 0)
		smtpd_uid = getuid();
	log_info("writers", "count=%lld", n);
	memset(pids, 0, sizeof(pids));
	memset(started, 0, sizeof(started));
	while (!stopping) {
		for (i = 0; i < n && !stopping; i++) {
			if (pids[i] != 0)
				continue;
			if (started[i] == time(NULL))
				sleep(1);   /* it died in the second it started */
			if (stopping)
				break;
			pids[i] = fork();
			if (pids[i] == 0)
				writer(0, queue, max, smtpd_uid, getppid(), &waiting);
			if (pids[i] < 0) {
				log_error("fork", "error=\"%m\"");
				pids[i] = 0;
			}
			started[i] = time(NULL);
		}
		if (!stopping)
			sigsuspend(&waiting);
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < n; i++)
				if (pids[i] == p) {
					pids[i] = 0;
					if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
						log_warn("writer-exit", "pid=%ld status=%d", (long)p,
						    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
				}
	}
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(&st) > 0 || errno == EINTR)
		;
	return 0;
}
