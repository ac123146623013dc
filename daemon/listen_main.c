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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "authreport.h"
#include "buf.h"
#include "envlist.h"
#include "listen.h"
#include "log.h"
#include "prepared.h"
#include "procspawn.h"
#include "tlsctl.h"
#include "tlsenv.h"

static struct {
	const char *name;
	int maxconn, maxperip;
	unsigned maxfail;
	long window, delay, grace;
	const char *busy;
	int tls;
	int request;            /* -R: argv is TLSPROG ... -- PROG ... */
	int prepare;            /* -P: one session program started ahead */
} opt = { "listen", 40, 10, 0, 600, 1, 3, NULL, 0, 0, 0 };
/* -R: the TLS program's words (tls_argc of them) and the program's. */
static char **tls_argv, **prog_argv;
static int tls_argc;

/* -P: the program started ahead, waiting on sock (common/prepared.h);
 * failed: the last one could not start or died unused (only after a
 * connection is one prepared again: no loop of failing starts).
 * One is prepared only while fewer than PREPARE_BELOW sessions run: it
 * saves a connection the wait for an exec, which matters when the server
 * is idle; when it is busy the start-up would only compete with the
 * sessions for the CPU. */
#define PREPARE_BELOW 2
static struct { pid_t pid; int sock, failed; } prep = { 0, -1, 0 };
static int devnull = -1;

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
		"[-w WINDOW] [-d DELAY] [-b BUSYLINE] [-t] [-k GRACE] [-P] ADDR PORT PROG [ARG...]\n"
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

/* The session's environment: ours plus the ucspi-tcp variables, the
 * service, a new session id and the failure count. */
static void session_env(struct envlist *e, const char *rip, const char *rport,
			const char *lip, const char *lport, int v6, unsigned fails,
			int rep_w)
{
	char num[16];

	envlist_inherit(e);
	envlist_set(e, "PROTO", v6 ? "TCP6" : "TCP");
	envlist_set(e, "TCPREMOTEIP", rip);
	envlist_set(e, "TCPREMOTEPORT", rport);
	envlist_set(e, "TCPLOCALIP", lip);
	envlist_set(e, "TCPLOCALPORT", lport);
	if (v6) {
		envlist_set(e, "TCP6REMOTEIP", rip);
		envlist_set(e, "TCP6REMOTEPORT", rport);
		envlist_set(e, "TCP6LOCALIP", lip);
		envlist_set(e, "TCP6LOCALPORT", lport);
	} else {
		envlist_unset(e, "TCP6REMOTEIP");
		envlist_unset(e, "TCP6REMOTEPORT");
		envlist_unset(e, "TCP6LOCALIP");
		envlist_unset(e, "TCP6LOCALPORT");
	}
	envlist_unset(e, "TCPREMOTEHOST");
	envlist_unset(e, "TCPREMOTEINFO");
	envlist_unset(e, "TCPLOCALHOST");
	envlist_set(e, "POSTERN_SERVICE", opt.name);
	envlist_set(e, "POSTERN_SESSION", log_new_session());
	snprintf(num, sizeof(num), "%u", fails);
	envlist_set(e, "POSTERN_AUTH_FAILS", num);
	/* The report socket is inherited on purpose (authreport.h), and only
	 * when failures are counted: chains without a monitor use -f 0. */
	envlist_unset(e, AUTHREPORT_ENV);
	if (rep_w >= 0 && opt.maxfail) {
		snprintf(num, sizeof(num), "%d", rep_w);
		envlist_set(e, AUTHREPORT_ENV, num);
	}
}

/* Start the session: the chain (or with -R the program) on the
 * connection, in a process group of its own, without a copy of this
 * process (procspawn.h); after failed logins, only after a delay.  The
 * pid, or -1. */
static pid_t start_session(int cfd, char **argv, int rep_w, const char *rip,
			   const char *rport, const char *lip, const char *lport,
			   int v6, unsigned fails)
{
	struct procspawn ps = { 0 };
	struct envlist e;
	pid_t pid;

	session_env(&e, rip, rport, lip, lport, v6, fails, rep_w);
	ps.fd_from[0] = cfd;
	ps.fd_to[0] = 0;
	ps.fd_from[1] = cfd;
	ps.fd_to[1] = 1;
	ps.nfds = 2;
	if (rep_w >= 0 && opt.maxfail) {
		ps.fd_from[2] = rep_w;
		ps.fd_to[2] = rep_w;
		ps.nfds = 3;
	}
	ps.pgid = 0;
	if (fails && opt.delay) {
		long d = (long)fails * opt.delay;
		ps.delay_s = (unsigned)(d > 10 ? 10 : d);
	}
	if (opt.request) {
		/* the connection and the environment are held for postern-tls */
		pid = request_start(prog_argv, &e, &ps, cfd);
		if (pid < 0) {
			log_error("exec", "prog=%s error=%s", prog_argv[0], strerror(errno));
			envlist_free(&e);
			close(cfd);
		}
		return pid;
	}
	ps.path = argv[0];
	ps.argv = argv;
	ps.envp = envlist_vec(&e);
	pid = procspawn(&ps);
	if (pid < 0)
		log_error("exec", "prog=%s error=%s", argv[0], strerror(errno));
	envlist_free(&e);
	close(cfd);
	return pid;
}

/* -P: start the session program ahead, with /dev/null on 0 and 1 and the
 * socket its connection will come on; it sets itself up meanwhile. */
static void prepare(char **argv)
{
	char **prog = opt.request ? prog_argv : argv, num[16];
	struct procspawn ps = { 0 };
	struct envlist e;
	int sp[2];
	pid_t pid;

	if (prep.pid > 0)
		return;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_warn("prepare", "service=%s error=\"socketpair: %s\"", opt.name, strerror(errno));
		prep.failed = 1;
		return;
	}
	envlist_inherit(&e);
	for (int i = 0; prepared_keys[i] != NULL; i++)
		envlist_unset(&e, prepared_keys[i]);
	envlist_unset(&e, TLSENV_VERSION);
	envlist_unset(&e, TLSENV_CIPHER);
	envlist_unset(&e, TLSENV_SNI);
	envlist_unset(&e, TLSCTL_ENV);
	envlist_unset(&e, AUTHREPORT_ENV);
	envlist_set(&e, "POSTERN_SERVICE", opt.name);
	snprintf(num, sizeof(num), "%d", sp[1]);
	envlist_set(&e, PREPARED_ENV, num);
	ps.path = prog[0];
	ps.argv = prog;
	ps.envp = envlist_vec(&e);
	ps.fd_from[0] = devnull;
	ps.fd_to[0] = 0;
	ps.fd_from[1] = devnull;
	ps.fd_to[1] = 1;
	ps.fd_from[2] = sp[1];
	ps.fd_to[2] = sp[1];
	ps.nfds = 3;
	ps.pgid = 0;
	pid = procspawn(&ps);
	envlist_free(&e);
	close(sp[1]);
	if (pid < 0) {
		log_warn("prepare", "service=%s prog=%s error=%s", opt.name, prog[0], strerror(errno));
		close(sp[0]);
		prep.failed = 1;
		return;
	}
	prep.pid = pid;
	prep.sock = sp[0];
}

/* The prepared program is not ours to use any more (used, or gone). */
static void unprepare(int kill_it)
{
	if (prep.pid <= 0)
		return;
	if (kill_it)
		kill(-prep.pid, SIGKILL);
	close(prep.sock);
	prep.sock = -1;
	prep.pid = 0;
}

/* -P: hand the connection to the prepared program.  Its pid, or -1 (none
 * could take it: the caller starts one the usual way). */
static pid_t hand_over(int cfd, const char *rip, const char *rport,
		       const char *lip, const char *lport, int v6, unsigned fails)
{
	struct envlist e;
	int ctl[2] = { -1, -1 };
	pid_t pid = prep.pid;

	if (pid <= 0 || (opt.request && !request_room()))
		return -1;
	session_env(&e, rip, rport, lip, lport, v6, fails, -1);
	if (opt.request && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
		envlist_free(&e);
		return -1;
	}
	if (prepared_send(prep.sock, envlist_vec(&e), e.n, cfd, ctl[1]) < 0) {
		log_warn("prepare", "service=%s pid=%ld error=\"%s\"", opt.name, (long)pid,
			 strerror(errno));
		if (ctl[0] >= 0) {
			close(ctl[0]);
			close(ctl[1]);
		}
		envlist_free(&e);
		unprepare(1);
		return -1;
	}
	unprepare(0);
	if (opt.request) {
		close(ctl[1]);
		request_hold(pid, &e, cfd, ctl[0]);
	} else {
		envlist_free(&e);
		close(cfd);
	}
	return pid;
}

static void handle_conn(int lfd, char **argv, int rep_w)
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
	pid = -1;
	/* started ahead: not after failed logins (the delay) nor with a
	 * report socket to pass */
	if (opt.prepare && !opt.maxfail && !(fails && opt.delay))
		pid = hand_over(cfd, rip, rport, lip, lport, v6, fails);
	if (pid < 0)
		pid = start_session(cfd, argv, rep_w, rip, rport, lip, lport, v6, fails);
	prep.failed = 0;        /* a connection came: preparing may resume */
	if (pid < 0) {
		log_set_session(NULL);
		return;
	}
	iptab_add(pid, rip);
	log_info("connect", "service=%s pid=%ld ip=%s port=%s sessions=%d", opt.name,
		 (long)pid, rip, rport, iptab_count());
	log_set_session(NULL);
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
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == prep.pid) {
			/* gone before a client came: the next connection is
			 * served the usual way and prepares again */
			log_warn("prepare", "service=%s pid=%ld status=%d", opt.name, (long)pid,
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			unprepare(0);
			prep.failed = 1;
			continue;
		}
		if (iptab_remove(pid)) {
			if (opt.request)
				request_end(pid);
			log_info("end", "service=%s pid=%ld status=%d", opt.name, (long)pid,
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			/* the rest of the chain may outlive its first process */
			if (group_alive(pid))
				iptab_linger(pid);
		}
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
	if (prep.pid > 0) {
		/* no client: it ends at the end of its socket, or by this */
		kill(-prep.pid, SIGTERM);
		unprepare(0);
	}
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
	struct pollfd *pfd;
	struct sigaction sa;

	log_init("postern-listen", 0);
	while ((c = getopt(argc, argv, "+n:c:i:f:w:d:b:tk:RP")) != -1) {
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
		case 'P': opt.prepare = 1; break;
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
	pfd = xcalloc((size_t)(LISTEN_MAXSOCK + 2 + opt.maxconn), sizeof(*pfd));
	if (opt.request) {
		/* each session holds two descriptors here until TLS or its end */
		struct rlimit rl;
		request_init(opt.maxconn);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur < (rlim_t)opt.maxconn * 2 + 64)
			log_warn("limit", "service=%s maxconn=%d open_files=%llu reason=\"-R holds two descriptors per session\"",
				 opt.name, opt.maxconn, (unsigned long long)rl.rlim_cur);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (opt.prepare && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		err(111, "/dev/null");
	while (!got_term) {
		int n = 0, nreq;
		/* the one place a program is prepared: at start, and again
		 * before waiting once one was used */
		if (opt.prepare && !prep.failed && iptab_count() < PREPARE_BELOW)
			prepare(argv + optind + 2);
		for (int i = 0; i < nl; i++)
			pfd[n++] = (struct pollfd){ .fd = lfds[i], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = sigpipe_fds[0], .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = rep[0], .events = POLLIN };
		nreq = opt.request ? request_pollfds(pfd + n) : 0;
		if (poll(pfd, (nfds_t)(n + nreq), -1) < 0 && errno != EINTR)
			err(111, "poll");
		if (pfd[nl].revents) {
			char tmp[64];
			while (read(sigpipe_fds[0], tmp, sizeof(tmp)) > 0)
				;
		}
		/* first, while the table is as polled */
		if (nreq)
			request_ready(pfd + n, nreq, tls_argv, tls_argc);
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
				handle_conn(lfds[i], argv + optind + 2, rep[1]);
	}
	for (int i = 0; i < nl; i++)
		close(lfds[i]);
	log_info("stop", "service=%s sessions=%d", opt.name, iptab_count());
	shutdown_all();
	return 0;
}
