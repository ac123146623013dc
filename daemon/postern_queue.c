/* postern_queue.c: the queue service of `postern run`, joined as
 * qmail-start joins its children: postern-lspawn and postern-rspawn read
 * requests on fd 0 and write results on fd 1; postern-send writes to
 * lspawn on fd 3, reads its results on fd 4, writes to rspawn on fd 5 and
 * reads its results on fd 6.  Each drops privilege itself (send to the
 * queue user, rspawn to the remote user; lspawn stays root).  When one of
 * them exits the others are stopped and this returns, so that the
 * supervisor restarts the three together. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "postern_run.h"

static pid_t
spawn(const char *libexec, const char *name, const int *fds, int nfds)
{
	char path[4096];
	pid_t pid;
	int i, tmp[4];

	snprintf(path, sizeof(path), "%s/%s", libexec, name);
	pid = fork();
	if (pid != 0)
		return pid;
	/* fds[i] goes on descriptor fds[i + 1]: 0,1 for spawners, 3..6 for
	 * send.  Move the sources out of the way first so that no dup2
	 * overwrites a source still needed. */
	for (i = 0; i < nfds; i += 2) {
		int moved = fcntl(fds[i], F_DUPFD, 20);
		if (moved < 0)
			_exit(111);
		tmp[i / 2] = moved;
	}
	for (i = 0; i < nfds; i += 2)
		if (dup2(tmp[i / 2], fds[i + 1]) < 0)
			_exit(111);
	closefrom(nfds == 4 ? 3 : 7);
	execl(path, name, (char *)NULL);
	_exit(111);
}

int
queue_start(const char *libexec)
{
	int l_req[2], l_res[2], r_req[2], r_res[2], st, i;
	pid_t pids[3];
	const char *names[3] = { "postern-lspawn", "postern-rspawn", "postern-send" };

	if (pipe(l_req) < 0 || pipe(l_res) < 0 || pipe(r_req) < 0 || pipe(r_res) < 0) {
		log_error("queue", "error=\"pipe: %m\"");
		return 111;
	}
	{
		int lf[4] = { l_req[0], 0, l_res[1], 1 };
		int rf[4] = { r_req[0], 0, r_res[1], 1 };
		int sf[8] = { l_req[1], 3, l_res[0], 4, r_req[1], 5, r_res[0], 6 };
		pids[0] = spawn(libexec, names[0], lf, 4);
		pids[1] = spawn(libexec, names[1], rf, 4);
		pids[2] = spawn(libexec, names[2], sf, 8);
	}
	for (i = 0; i < 2; i++) {
		close(l_req[i]);
		close(l_res[i]);
		close(r_req[i]);
		close(r_res[i]);
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
