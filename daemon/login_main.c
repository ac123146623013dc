/* login_main.c: postern-login, the per-session root monitor (DESIGN.md
 * rule 4, the OpenSSH privsep idea).  It starts the pre-auth program
 * (which drops privilege itself before reading the network), takes
 * credentials and the hand-off record from it over a socket
 * (common/authclient.h), runs a checkpassword program with
 * "user\0pass\0timestamp\0" on fd 3 and answers yes / no / tempfail.
 * Exec mode: the checker execs the post-auth server on the connection with
 * the hand-off record on POSTERN_HANDOFF_FD; the server proves it started
 * through POSTERN_STARTED_FD.  Yes/no mode (-y): the checker runs a program
 * that only reports success.  No protocol parsing here. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "authclient.h"
#include "authreport.h"
#include "buf.h"
#include "handoff.h"
#include "fatal.h"
#include "log.h"
#include "tlsctl.h"
#include "io.h"

#define CHECKPW_MAX 512

static struct {
	int yesno;
	int timeout_ms;
	int max_attempts;
	int fail_delay;
} opt = { 0, 30000, 10, 1 };

static char *default_post[] = { "/bin/true", NULL };

static void usage(void)
{
	fatal_errx(100, "usage: postern-login [-y] [-T CHECK-TIMEOUT] [-a MAXATTEMPTS] [-d FAIL-DELAY] "
		"PREAUTH [ARG...] -- CHECKER [ARG...] [-- POSTAUTH [ARG...]]");
}

static long num_arg(const char *s, long lo, long hi, int c)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		fatal_errx(100, "bad value for -%c: %s", c, s);
	return v;
}


/* Read exactly n bytes within timeout (timeout < 0: forever).
 * 1 ok, 0 EOF before any byte, -1 error/short/timeout. */
static int read_exact(int fd, void *dst, size_t n, int timeout_ms)
{
	size_t got = 0;
	long long deadline = io_now_ms() + timeout_ms;
	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int t = timeout_ms < 0 ? -1 : (int)(deadline - io_now_ms());
		if (timeout_ms >= 0 && t <= 0)
			return -1;
		int pr = poll(&p, 1, t);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		ssize_t k = read(fd, (char *)dst + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return got == 0 && k == 0 ? 0 : -1;
		got += (size_t)k;
	}
	return 1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Move fd to a number >= 10 (close-on-exec), so fixed targets are free. */
static int high_fd(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (n < 0)
		_exit(111);
	close(fd);
	return n;
}

static void clean_env(void)
{
	unsetenv(AUTHCLIENT_ENV);
	unsetenv(AUTHREPORT_ENV);
	unsetenv(HANDOFF_FD_ENV);
	unsetenv(HANDOFF_STARTED_ENV);
}

/* Fork the checker: creds on fd 3; in exec mode hand-off on 4, started
 * pipe on 5.  Returns its pid. */
static pid_t run_checker(char **checker, char **post, int npost, int cred_fd,
			 int handoff_fd, int started_fd, int conn)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int ncheck = 0;
	while (checker[ncheck])
		ncheck++;
	char **argv = xcalloc((size_t)(ncheck + npost + 1), sizeof(char *));
	memcpy(argv, checker, (size_t)ncheck * sizeof(char *));
	memcpy(argv + ncheck, post, (size_t)npost * sizeof(char *));
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	cred_fd = high_fd(cred_fd);
	if (handoff_fd >= 0)
		handoff_fd = high_fd(handoff_fd);
	if (started_fd >= 0)
		started_fd = high_fd(started_fd);
	if (conn >= 0)
		conn = high_fd(conn);
	clean_env();
	if (dup2(cred_fd, 3) < 0)
		_exit(111);
	if (handoff_fd >= 0) {
		if (dup2(handoff_fd, 4) < 0 || dup2(started_fd, 5) < 0)
			_exit(111);
		/* The connection as the pre-auth program had it (STARTTLS
		 * replaces it), else the one we were started with. */
		if (conn >= 0 && (dup2(conn, 0) < 0 || dup2(conn, 1) < 0))
			_exit(111);
		setenv(HANDOFF_FD_ENV, "4", 1);
		setenv(HANDOFF_STARTED_ENV, "5", 1);
	} else {
		/* Yes/no mode: the success program never sees the client. */
		int dn = open("/dev/null", O_RDWR);
		if (dn < 0 || dup2(dn, 0) < 0 || dup2(dn, 1) < 0)
			_exit(111);
	}
	execvp(argv[0], argv);
	log_error("exec", "prog=%s error=%s", argv[0], strerror(errno));
	_exit(111);
}

/* Wait for the checker: status, or -1 on timeout (it is killed). */
static int wait_checker(pid_t pid, int started_rd, int *started)
{
	long long deadline = io_now_ms() + opt.timeout_ms;
	int st;
	*started = 0;
	for (;;) {
		if (started_rd >= 0) {
			struct pollfd p = { .fd = started_rd, .events = POLLIN };
			int t = (int)(deadline - io_now_ms());
			if (t < 0)
				t = 0;
			int pr = poll(&p, 1, t > 50 ? 50 : t);
			if (pr > 0) {
				char c;
				ssize_t k = read(started_rd, &c, 1);
				if (k == 1) {
					*started = 1;
					return 0;
				}
				if (k == 0) {
					close(started_rd);
					started_rd = -1;
				}
			}
		} else {
			struct timespec ts = { 0, 10 * 1000000 };
			nanosleep(&ts, NULL);
		}
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid && started_rd < 0)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 111;
		if (w == pid) {
			/* Exited: drain a started byte that may still be there. */
			char c;
			if (read(started_rd, &c, 1) == 1) {
				*started = 1;
				return 0;
			}
			return WIFEXITED(st) ? WEXITSTATUS(st) : 111;
		}
		if (io_now_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
	}
}

static int make_memfd(const char *p, size_t n)
{
	int fd = memfd_create("postern-handoff", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write_all(fd, p, n) < 0) {
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int exit_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 111;
}

/* One request: returns the answer byte; *post_pid set when the post-auth
 * server took over the connection. */
static char handle(const char *body, size_t len, char **checker, char **post, int npost,
		   const char *ip, int report_fd, int conn, pid_t *post_pid)
{
	const char *user, *pass, *hand;
	size_t ulen, plen, hlen;
	char rec[CHECKPW_MAX], ts[64];
	int cred[2], started[2] = { -1, -1 }, memfd = -1, st, ok_started;
	size_t rlen;
	pid_t pid;

	*post_pid = 0;
	if (authclient_parse_request(body, len, &user, &ulen, &pass, &plen, &hand, &hlen) < 0) {
		log_warn("auth_bad_request", "len=%zu", len);
		return 'T';
	}
	snprintf(ts, sizeof(ts), "<%ld.%lld@postern>", (long)getpid(), (long long)time(NULL));
	rlen = ulen + 1 + plen + 1 + strlen(ts) + 1;
	if (rlen > sizeof(rec))
		return 'N';
	memcpy(rec, user, ulen);
	rec[ulen] = 0;
	memcpy(rec + ulen + 1, pass, plen);
	rec[ulen + 1 + plen] = 0;
	memcpy(rec + ulen + plen + 2, ts, strlen(ts) + 1);
	char uname[256];
	log_value(uname, sizeof(uname), user, ulen);

	if (pipe2(cred, O_CLOEXEC) < 0)
		return 'T';
	int wr = write_all(cred[1], rec, rlen);
	explicit_bzero(rec, sizeof(rec));
	close(cred[1]);
	if (wr < 0) {
		close(cred[0]);
		return 'T';
	}
	if (!opt.yesno) {
		memfd = make_memfd(hand, hlen);
		if (memfd < 0 || pipe2(started, O_CLOEXEC) < 0) {
			close(cred[0]);
			if (memfd >= 0)
				close(memfd);
			return 'T';
		}
	}
	pid = run_checker(checker, post, npost, cred[0], memfd, started[1], conn);
	close(cred[0]);
	if (memfd >= 0)
		close(memfd);
	if (started[1] >= 0)
		close(started[1]);
	if (pid < 0) {
		if (started[0] >= 0)
			close(started[0]);
		return 'T';
	}
	st = wait_checker(pid, started[0], &ok_started);
	if (started[0] >= 0)
		close(started[0]);
	if (!opt.yesno && ok_started) {
		log_info("auth_ok", "user=%s ip=%s mode=exec", uname, ip);
		authreport_send(report_fd, AUTHREPORT_OK, ip);
		*post_pid = pid;
		return 'Y';
	}
	if (opt.yesno && st == 0) {
		log_info("auth_ok", "user=%s ip=%s mode=yesno", uname, ip);
		authreport_send(report_fd, AUTHREPORT_OK, ip);
		return 'Y';
	}
	if (st == 1 || (!opt.yesno && st == 0)) {
		/* exit 0 without the server starting is not a success */
		log_info("auth_fail", "user=%s ip=%s", uname, ip);
		authreport_send(report_fd, AUTHREPORT_FAIL, ip);
		if (opt.fail_delay) {
			struct timespec d = { opt.fail_delay, 0 };
			while (nanosleep(&d, &d) < 0 && errno == EINTR)
				;
		}
		return 'N';
	}
	log_warn("auth_tempfail", "user=%s ip=%s status=%d", uname, ip, st);
	return 'T';
}

int main(int argc, char **argv)
{
	char **pre, **checker, **post = default_post;
	int c, npost = 1, ap[2], report_fd, attempts = 0;
	const char *ip;
	pid_t pre_pid, post_pid = 0;

	log_init("postern-login", 0);
	while ((c = getopt(argc, argv, "+yT:a:d:")) != -1) {
		switch (c) {
		case 'y': opt.yesno = 1; break;
		case 'T': opt.timeout_ms = (int)num_arg(optarg, 1, 3600, c) * 1000; break;
		case 'a': opt.max_attempts = (int)num_arg(optarg, 1, 1000, c); break;
		case 'd': opt.fail_delay = (int)num_arg(optarg, 0, 60, c); break;
		default: usage();
		}
	}
	/* PREAUTH ... -- CHECKER ... [-- POSTAUTH ...] */
	pre = argv + optind;
	int i = optind;
	while (i < argc && strcmp(argv[i], "--") != 0)
		i++;
	if (i == optind || i >= argc - 1)
		usage();
	argv[i] = NULL;
	checker = argv + i + 1;
	int j = i + 1;
	while (j < argc && strcmp(argv[j], "--") != 0)
		j++;
	if (j == i + 1)
		usage();
	if (j < argc) {
		argv[j] = NULL;
		post = argv + j + 1;
		npost = argc - j - 1;
		if (npost == 0)
			usage();
	} else if (!opt.yesno)
		fatal_errx(100, "exec mode needs a post-auth program (-- POSTAUTH)");

	report_fd = authreport_fd();
	if (report_fd >= 0)
		fcntl(report_fd, F_SETFD, FD_CLOEXEC);
	unsetenv(AUTHREPORT_ENV);
	ip = getenv("TCPREMOTEIP");
	if (ip == NULL)
		ip = getenv("REMOTE_ADDR");
	if (ip == NULL)
		ip = "";

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ap) < 0)
		fatal_err(111, "socketpair");
	signal(SIGPIPE, SIG_IGN);
	pre_pid = fork();
	if (pre_pid < 0)
		fatal_err(111, "fork");
	if (pre_pid == 0) {
		char num[16];
		int fd = high_fd(ap[1]);
		close(ap[0]);
		if (dup2(fd, 3) < 0)
			_exit(111);
		close(fd);
		snprintf(num, sizeof(num), "%d", 3);
		clean_env();
		setenv(AUTHCLIENT_ENV, num, 1);
		signal(SIGPIPE, SIG_DFL);
		execvp(pre[0], pre);
		log_error("exec", "prog=%s error=%s", pre[0], strerror(errno));
		_exit(111);
	}
	close(ap[1]);
	/* STARTTLS belongs to the pre-auth program; nothing after a login
	 * may ask for it, so the checker and post-auth server never get the
	 * control descriptor. */
	if (tlsctl_fd() >= 0)
		close(tlsctl_fd());
	unsetenv(TLSCTL_ENV);
	/* The monitor never touches the connection: the pre-auth program
	 * passes it along with each request (authclient.h). */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		fatal_err(111, "/dev/null");
	close(devnull);

	for (;;) {
		unsigned char hdr[AUTHCLIENT_HDR];
		int conn;
		int r = authclient_read_header(ap[0], hdr, &conn);
		if (r <= 0)
			break;
		size_t len = authclient_body_len(hdr);
		if (len > 4 + AUTHCLIENT_CRED_MAX + HANDOFF_MAX) {
			log_warn("auth_bad_request", "len=%zu", len);
			if (conn >= 0)
				close(conn);
			break;
		}
		char *body = xmalloc(len ? len : 1);
		if (read_exact(ap[0], body, len, 10000) != 1 && len) {
			free(body);
			if (conn >= 0)
				close(conn);
			break;
		}
		char ans = 'T';
		if (++attempts <= opt.max_attempts)
			ans = handle(body, len, checker, post, npost, ip, report_fd, conn, &post_pid);
		if (conn >= 0)
			close(conn);
		explicit_bzero(body, len);
		free(body);
		(void)write_all(ap[0], &ans, 1);
		if (post_pid)
			break;
	}
	close(ap[0]);
	int st, status = 0;
	if (post_pid) {
		/* The connection is the post-auth server's now: the pre-auth
		 * program gets a moment to exit by itself, then it is killed so
		 * it can never read what the user's session carries. */
		for (int k = 0; k < 100; k++) {
			if (waitpid(pre_pid, &st, WNOHANG) == pre_pid) {
				pre_pid = 0;
				break;
			}
			struct timespec d = { 0, 20 * 1000000 };
			nanosleep(&d, NULL);
		}
		if (pre_pid) {
			kill(pre_pid, SIGKILL);
			waitpid(pre_pid, &st, 0);
		}
	} else if (waitpid(pre_pid, &st, 0) == pre_pid)
		status = exit_status(st);
	if (post_pid && waitpid(post_pid, &st, 0) == post_pid)
		status = exit_status(st);
	return status;
}
