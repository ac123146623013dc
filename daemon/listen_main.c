/* listen_main.c: postern-listen, a tcpserver-like listener.  Accepts on
 * its sockets, enforces per-service and per-IP concurrency limits and the
 * per-IP failed-login policy (reports from postern-login on a datagram
 * socket), then forks and execs the session chain with the connection on
 * fds 0/1 and the ucspi-tcp variables set.  It never reads from a client
 * (DESIGN.md rule 1); the busy line is the only thing it writes.
 * With -R (TLS on request) the command is "TLSPROG [ARG...] -- PROG
 * [ARG...]": the session starts PROG alone and execs TLSPROG only when
 * PROG asks for STARTTLS (listen_request.c). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "authreport.h"
#include "buf.h"
#include "envfd.h"
#include "listen.h"
#include "log.h"
#include "tlsctl.h"

static struct {
	const char *name;
	int maxconn, maxperip;
	unsigned maxfail;
	long window, delay, grace;
	const char *busy;
	int tls;
	int request;            /* -R: argv is TLSPROG ... -- PROG ... */
} opt = { "listen", 40, 10, 0, 600, 1, 3, NULL, 0, 0 };
/* -R: the TLS program's words (tls_argc of them) and the program's. */
static char **tls_argv, **prog_argv;
static int tls_argc;

static int sigpipe_fds[2] = { -1, -1 };
static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	(void)!write(sigpipe_fds[1], "x", 1);
	errno = saved;
}

static long num_arg(const char *s, long lo, long hi, int c)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		errx(100, "bad value for -%c: %s", c, s);
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: postern-listen [-n NAME] [-c MAXCONN] [-i MAXPERIP] [-f MAXFAIL] "
		"[-w WINDOW] [-d DELAY] [-b BUSYLINE] [-t] [-k GRACE] ADDR PORT PROG [ARG...]\n"
		"       postern-listen -R [OPTIONS] ADDR PORT TLSPROG [TLSARG...] -- PROG [ARG...]\n");
	exit(100);
}

static void refuse(int fd, const char *why, const char *ip)
{
	log_info("refuse", "service=%s ip=%s reason=%s", opt.name, ip, why);
	if (opt.busy && !opt.tls) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s\r\n", opt.busy);
		(void)!send(fd, b.p, b.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		buf_free(&b);
	}
	/* A plain close: no RST surprise for a client that sent nothing. */
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void set_env(const char *k, const char *v)
{
	if (setenv(k, v, 1) < 0)
		_exit(111);
}

static void child(int cfd, char **argv, int lfds[], int nl, int rep_r, int rep_w,
		  const char *rip, const char *rport, const char *lip,
		  const char *lport, int v6, unsigned fails)
{
	char num[16];
	sigset_t none;

	setpgid(0, 0);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; i < nl; i++)
		close(lfds[i]);
	close(sigpipe_fds[0]);
	close(sigpipe_fds[1]);
	close(rep_r);
	if (dup2(cfd, 0) < 0 || dup2(cfd, 1) < 0)
		_exit(111);
	if (cfd > 1)
		close(cfd);
	/* The report socket is inherited on purpose (authreport.h), and only
	 * when failures are counted: chains without a monitor use -f 0. */
	if (rep_w >= 0 && opt.maxfail && env_fd_pass(AUTHREPORT_ENV, rep_w) < 0)
		_exit(111);
	set_env("PROTO", v6 ? "TCP6" : "TCP");
	set_env("TCPREMOTEIP", rip);
	set_env("TCPREMOTEPORT", rport);
	set_env("TCPLOCALIP", lip);
	set_env("TCPLOCALPORT", lport);
	if (v6) {
		set_env("TCP6REMOTEIP", rip);
		set_env("TCP6REMOTEPORT", rport);
		set_env("TCP6LOCALIP", lip);
		set_env("TCP6LOCALPORT", lport);
	} else {
		unsetenv("TCP6REMOTEIP");
		unsetenv("TCP6REMOTEPORT");
		unsetenv("TCP6LOCALIP");
		unsetenv("TCP6LOCALPORT");
	}
	unsetenv("TCPREMOTEHOST");
	unsetenv("TCPREMOTEINFO");
	unsetenv("TCPLOCALHOST");
	set_env("POSTERN_SERVICE", opt.name);
	set_env("POSTERN_SESSION", log_new_session());
	snprintf(num, sizeof(num), "%u", fails);
	set_env("POSTERN_AUTH_FAILS", num);
	if (fails && opt.delay) {
		long d = (long)fails * opt.delay;
		struct timespec ts = { d > 10 ? 10 : d, 0 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (opt.request)
		listen_request_run(tls_argv, tls_argc, prog_argv, rep_w);
	execvp(argv[0], argv);
	log_error("exec", "prog=%s error=%s", argv[0], strerror(errno));
	_exit(111);
}

static void handle_conn(int lfd, char **argv, int lfds[], int nl, int rep_r, int rep_w)
{
	struct sockaddr_storage peer, local;
	socklen_t plen = sizeof(peer), llen = sizeof(local);
	char rip[LISTEN_IPLEN], rport[8], lip[LISTEN_IPLEN], lport[8];
	int v6, lv6, cfd;
	unsigned fails;
	time_t now = time(NULL);
	pid_t pid;

	cfd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept", "error=%s", strerror(errno));
		if (errno == EMFILE || errno == ENFILE)
			sleep(1);
		return;
	}
	if (getsockname(cfd, (struct sockaddr *)&local, &llen) < 0) {
		close(cfd);
		return;
	}
	/* Replies are written whole: no Nagle wait behind the client's
	 * delayed ACK (best effort; not fatal where it does not apply). */
	(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	listen_addr_str((struct sockaddr *)&peer, plen, rip, rport, &v6);
	listen_addr_str((struct sockaddr *)&local, llen, lip, lport, &lv6);
	v6 = v6 || lv6;
	if (iptab_count() >= opt.maxconn) {
		refuse(cfd, "maxconn", rip);
		return;
	}
	if (opt.maxperip && iptab_count_ip(rip) >= opt.maxperip) {
		refuse(cfd, "maxperip", rip);
		return;
	}
	fails = opt.maxfail ? failtab_get(rip, now, opt.window) : 0;
	if (opt.maxfail && fails >= opt.maxfail) {
		refuse(cfd, "authfail", rip);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork", "error=%s", strerror(errno));
		close(cfd);
		return;
	}
	if (pid == 0)
		child(cfd, argv, lfds, nl, rep_r, rep_w, rip, rport, lip, lport, v6, fails);
	/* Also here, so the group exists before any kill(-pid) whichever
	 * side runs first (fails harmlessly once the child has exec'd). */
	setpgid(pid, pid);
	close(cfd);
	iptab_add(pid, rip);
	log_info("connect", "service=%s pid=%ld ip=%s port=%s sessions=%d", opt.name,
		 (long)pid, rip, rport, iptab_count());
}

static void read_reports(int rep_r)
{
	char msg[AUTHREPORT_MAX + 1], ip[LISTEN_IPLEN];
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(rep_r, msg, sizeof(msg), MSG_DONTWAIT);
		if (n <= 0)
			return;
		int k = authreport_parse(msg, (size_t)n, ip, sizeof(ip));
		if (k == AUTHREPORT_FAIL && opt.maxfail) {
			failtab_fail(ip, time(NULL), opt.window);
			log_info("authfail", "service=%s ip=%s count=%u", opt.name, ip,
				 failtab_get(ip, time(NULL), opt.window));
		} else if (k == AUTHREPORT_OK)
			failtab_clear(ip);
	}
}

/* A session's process group (its first process's pid) still has members.
 * A group id cannot be reused as a pid while the group exists, and empty
 * groups are pruned on every reap, so kill(-pgid) reaches our session. */
static int group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0;
}

static void reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (iptab_remove(pid)) {
			log_info("end", "service=%s pid=%ld status=%d", opt.name, (long)pid,
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			/* the rest of the chain may outlive its first process */
			if (group_alive(pid))
				iptab_linger(pid);
		}
	iptab_prune(group_alive);
}

static void term_one(pid_t pid)
{
	kill(-pid, SIGTERM);
	kill(pid, SIGTERM);
}

static void kill_one(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/* Lingering sessions: the leader is gone (its pid may be anyone's now),
 * so only the group is signalled. */
static void term_group(pid_t pgid)
{
	kill(-pgid, SIGTERM);
}

static void kill_group(pid_t pgid)
{
	kill(-pgid, SIGKILL);
}

static int sessions_left(void)
{
	return iptab_count() + iptab_lingering();
}

static void shutdown_all(void)
{
	struct timespec step = { 0, 50 * 1000000 };
	reap();
	iptab_each(term_one);
	iptab_each_lingering(term_group);
	for (long i = 0; i < opt.grace * 20 && sessions_left() > 0; i++) {
		reap();
		nanosleep(&step, NULL);
	}
	reap();
	iptab_each(kill_one);
	iptab_each_lingering(kill_group);
	for (int i = 0; i < 20 && sessions_left() > 0; i++) {
		reap();
		nanosleep(&step, NULL);
	}
	if (sessions_left() > 0)
		log_warn("stop", "service=%s survivors=%d", opt.name, sessions_left());
}

int main(int argc, char **argv)
{
	int c, lfds[LISTEN_MAXSOCK], nl, rep[2];
	struct pollfd pfd[LISTEN_MAXSOCK + 2];
	struct sigaction sa;

	log_init("postern-listen", 0);
	while ((c = getopt(argc, argv, "+n:c:i:f:w:d:b:tk:R")) != -1) {
		switch (c) {
		case 'n': opt.name = optarg; break;
		case 'c': opt.maxconn = (int)num_arg(optarg, 1, 100000, c); break;
		case 'i': opt.maxperip = (int)num_arg(optarg, 0, 100000, c); break;
		case 'f': opt.maxfail = (unsigned)num_arg(optarg, 0, 100000, c); break;
		case 'w': opt.window = num_arg(optarg, 1, 86400 * 30, c); break;
		case 'd': opt.delay = num_arg(optarg, 0, 10, c); break;
		case 'b': opt.busy = optarg; break;
		case 't': opt.tls = 1; break;
		case 'k': opt.grace = num_arg(optarg, 0, 60, c); break;
		case 'R': opt.request = 1; break;
		default: usage();
		}
	}
	if (argc - optind < 3)
		usage();
	if (opt.busy && (strchr(opt.busy, '\r') || strchr(opt.busy, '\n') || strlen(opt.busy) > 200))
		errx(100, "bad busy line");
	if (opt.request) {
		int k = tlsctl_split_chain(argv + optind + 2, argc - optind - 2);
		if (k < 0)
			errx(100, "-R: expected TLSPROG [TLSARG...] -- PROG [ARG...]");
		tls_argv = argv + optind + 2;
		tls_argc = k;
		tls_argv[k] = NULL;
		prog_argv = tls_argv + k + 1;
	}
	nl = listen_open(argv[optind], argv[optind + 1], lfds);
	for (int i = 0; i < nl; i++) {
		struct sockaddr_storage ss;
		socklen_t l = sizeof(ss);
		char ip[LISTEN_IPLEN], port[8];
		int v6;
		if (getsockname(lfds[i], (struct sockaddr *)&ss, &l) == 0) {
			listen_addr_str((struct sockaddr *)&ss, l, ip, port, &v6);
			log_info("listen", "service=%s addr=%s port=%s", opt.name, ip, port);
		}
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, rep) < 0)
		err(111, "socketpair");
	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
		err(111, "pipe");
	fcntl(rep[0], F_SETFL, O_NONBLOCK);
	iptab_init(opt.maxconn);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (!got_term) {
		int n = 0;
		for (int i = 0; i < nl; i++)
			pfd[n++] = (struct pollfd){ .fd = lfds[i], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = sigpipe_fds[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = rep[0], .events = POLLIN };
		if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
			err(111, "poll");
		if (pfd[nl].revents) {
			char tmp[64];
			while (read(sigpipe_fds[0], tmp, sizeof(tmp)) > 0)
				;
		}
		reap();
		if (got_hup) {
			got_hup = 0;
			log_info("hup", "service=%s sessions=%d failing_ips=%u", opt.name,
				 iptab_count(), failtab_size());
		}
		if (pfd[nl + 1].revents)
			read_reports(rep[0]);
		if (got_term)
			break;
		for (int i = 0; i < nl; i++)
			if (pfd[i].revents & POLLIN)
				handle_conn(lfds[i], argv + optind + 2, lfds, nl, rep[0], rep[1]);
	}
	for (int i = 0; i < nl; i++)
		close(lfds[i]);
	log_info("stop", "service=%s sessions=%d", opt.name, iptab_count());
	shutdown_all();
	return 0;
}
