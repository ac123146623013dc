/* listen_request.c: postern-listen -R, TLS on request.  The session's
 * first process (a fork of postern-listen, still root) starts the protocol
 * program on the connection with a control descriptor (POSTERN_TLS_CTL,
 * common/tlsctl.h), then only waits.  It never reads from the network and
 * parses nothing: when the program sends a STARTTLS request it execs
 * postern-tls in request mode on the connection and the still-unread
 * request; when every holder of the control descriptor has closed it, it
 * waits for the program and exits with its status.  So a session that
 * never asks for TLS never starts postern-tls, and this process (the one
 * postern-listen counts) lives exactly as long as the session. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "authreport.h"
#include "buf.h"
#include "envfd.h"
#include "listen.h"
#include "log.h"
#include "tlsctl.h"

/* The protocol program on fds 0/1 (inherited), with ctl and, when it is
 * >= 0, the auth-report socket; started with posix_spawn (no copy of this
 * process).  Returns its pid; exits 111 when it cannot start. */
static pid_t start_program(char **prog, int ctl)
{
	extern char **environ;
	posix_spawnattr_t at;
	sigset_t def;
	pid_t pid;
	int r;

	/* As postern-tls's on-request child: no TLS facts yet. */
	if (tlsenv_write(&(struct tls_facts){ 0 }) < 0)
		_exit(111);
	if (env_fd_pass(TLSCTL_ENV, ctl) < 0)
		_exit(111);
	if (posix_spawnattr_init(&at) != 0)
		_exit(111);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	if ((r = posix_spawnattr_setsigdefault(&at, &def)) == 0 &&
	    (r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF)) == 0)
		r = posix_spawnp(&pid, prog[0], NULL, &at, prog, environ);
	posix_spawnattr_destroy(&at);
	if (r != 0) {
		log_error("exec", "prog=%s error=%s", prog[0], strerror(r));
		_exit(111);
	}
	return pid;
}

static void exec_tls(char **tls, int ntls, int ctl)
{
	/* TLSPROG -R TLSARG...: request mode, before its other options. */
	char **argv = xcalloc((size_t)ntls + 2, sizeof(char *));
	argv[0] = tls[0];
	argv[1] = "-R";
	memcpy(argv + 2, tls + 1, (size_t)(ntls - 1) * sizeof(char *));
	if (env_fd_pass(TLSCTL_ENV, ctl) < 0)
		_exit(111);
	execvp(argv[0], argv);
	log_error("exec", "prog=%s error=%s", argv[0], strerror(errno));
	_exit(111);
}

void listen_request_run(char **tls, int ntls, char **prog, int report_fd)
{
	int ctl[2], st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
		log_error("socketpair", "error=%s", strerror(errno));
		_exit(111);
	}
	pid = start_program(prog, ctl[1]);
	close(ctl[1]);
	/* The report socket is the monitor's (postern-login, in the program
	 * just started): postern-tls closed its copy too in the old chain. */
	if (report_fd >= 0)
		close(report_fd);
	unsetenv(AUTHREPORT_ENV);
	unsetenv(TLSCTL_ENV);

	if (tlsctl_wait_request(ctl[0]))
		exec_tls(tls, ntls, ctl[0]);
	/* No request can come any more: the session is the program's, and
	 * our copy of the connection goes (the client sees the end as soon
	 * as the program closes it). */
	close(ctl[0]);
	close(0);
	close(1);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			_exit(111);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}
