/* listen_request.c: postern-listen -R, TLS on request.  postern-listen
 * starts the protocol program on the connection with a control
 * descriptor (POSTERN_TLS_CTL, common/tlsctl.h) and keeps the other end
 * and its own copy of the connection in its poll loop.  It never reads
 * from either and parses nothing: when the control descriptor becomes
 * readable (the program sent a STARTTLS request) it starts postern-tls in
 * request mode on the connection and the still-unread request, in the
 * session's process group, and lets go of both; when every other holder
 * of the control descriptor has closed it, it lets go too.  So a session
 * that never asks for TLS never starts postern-tls, and no process of
 * ours waits beside it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "authreport.h"
#include "buf.h"
#include "envlist.h"
#include "listen.h"
#include "log.h"
#include "procspawn.h"
#include "tlsctl.h"
#include "tlsenv.h"

struct held {
	pid_t pid;               /* the session (its group); 0: free slot */
	int conn, ctl;
	struct envlist env;      /* the session's, for postern-tls */
};

static struct held *held;
static int nheld, maxheld;

void request_init(int maxconn)
{
	maxheld = maxconn;
	held = xcalloc((size_t)maxconn, sizeof(*held));
}

static void let_go(struct held *h)
{
	close(h->conn);
	close(h->ctl);
	envlist_free(&h->env);
	*h = held[--nheld];
}

pid_t request_start(char **prog, struct envlist *env, struct procspawn *ps, int conn)
{
	int ctl[2];
	char num[16];
	pid_t pid;

	if (nheld == maxheld) {
		errno = EAGAIN;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return -1;
	/* As postern-tls's on-request child: no TLS facts yet. */
	envlist_unset(env, TLSENV_VERSION);
	envlist_unset(env, TLSENV_CIPHER);
	envlist_unset(env, TLSENV_SNI);
	snprintf(num, sizeof(num), "%d", ctl[1]);
	envlist_set(env, TLSCTL_ENV, num);
	ps->path = prog[0];
	ps->argv = prog;
	ps->envp = envlist_vec(env);
	ps->fd_from[ps->nfds] = ctl[1];
	ps->fd_to[ps->nfds++] = ctl[1];
	pid = procspawn(ps);
	close(ctl[1]);
	if (pid < 0) {
		int e = errno;
		close(ctl[0]);
		errno = e;
		return -1;
	}
	request_hold(pid, env, conn, ctl[0]);
	return pid;
}

void request_hold(pid_t pid, struct envlist *env, int conn, int ctl)
{
	char num[16];

	/* postern-tls gets the session's environment less what was the
	 * program's: the report socket is the monitor's (in the program). */
	envlist_unset(env, AUTHREPORT_ENV);
	snprintf(num, sizeof(num), "%d", ctl);
	envlist_set(env, TLSCTL_ENV, num);
	held[nheld].pid = pid;
	held[nheld].conn = conn;
	held[nheld].ctl = ctl;
	held[nheld].env = *env;
	nheld++;
}

int request_room(void)
{
	return nheld < maxheld;
}

int request_pollfds(struct pollfd *pfd)
{
	for (int i = 0; i < nheld; i++)
		pfd[i] = (struct pollfd){ .fd = held[i].ctl, .events = POLLIN };
	return nheld;
}

/* TLSPROG -R TLSARG... on the connection, in the session's group. */
static void start_tls(struct held *h, char **tls, int ntls)
{
	char **argv = xcalloc((size_t)ntls + 2, sizeof(char *));
	struct procspawn ps = { 0 };

	argv[0] = tls[0];
	argv[1] = "-R";
	memcpy(argv + 2, tls + 1, (size_t)(ntls - 1) * sizeof(char *));
	ps.path = argv[0];
	ps.argv = argv;
	ps.envp = envlist_vec(&h->env);
	ps.fd_from[0] = h->conn;
	ps.fd_to[0] = 0;
	ps.fd_from[1] = h->conn;
	ps.fd_to[1] = 1;
	ps.fd_from[2] = h->ctl;
	ps.fd_to[2] = h->ctl;
	ps.nfds = 3;
	ps.pgid = h->pid;
	if (procspawn(&ps) < 0)
		log_error("exec", "prog=%s pid=%ld error=%s", argv[0], (long)h->pid, strerror(errno));
	free(argv);
}

/* pfd holds n entries from request_pollfds, in the same order (nothing
 * changed the table in between). */
void request_ready(const struct pollfd *pfd, int n, char **tls, int ntls)
{
	/* backwards: let_go moves the last slot into the freed one */
	for (int i = n - 1; i >= 0; i--) {
		int r;

		if (!pfd[i].revents || i >= nheld || held[i].ctl != pfd[i].fd)
			continue;
		if ((r = tlsctl_peek_request(held[i].ctl)) < 0)
			continue;
		if (r > 0)
			start_tls(&held[i], tls, ntls);
		/* a request handed on, or the end (EOF, error): either way no
		 * request can come to us any more */
		let_go(&held[i]);
	}
}

void request_end(pid_t pid)
{
	for (int i = 0; i < nheld; i++)
		if (held[i].pid == pid) {
			let_go(&held[i]);
			return;
		}
}
