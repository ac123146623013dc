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
