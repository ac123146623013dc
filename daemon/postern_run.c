/* postern_run.c: `postern run DIR`, the supervisor.  Starts every service
 * of the instance whose programs are installed (postern_services.c), each
 * as its own process group, logs where each listens, restarts a child that
 * dies with a growing delay, stops everything on SIGTERM/SIGINT within 5 s
 * (SIGTERM, then SIGKILL), and on SIGHUP validates the config and tables
 * again: on error it keeps running with the old config and logs why; on
 * success it restarts the services whose command line changed and starts
 * those whose programs have appeared.  Signals reach the loop through a
 * self-pipe; the loop itself only polls that pipe. */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "instance.h"
#include "io.h"
#include "log.h"
#include "postern.h"
#include "postern_run.h"
#include "svcusers.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define STABLE_MS      10000     /* ran this long: the next crash starts over */
#define STOP_GRACE_MS  4000      /* SIGTERM to SIGKILL; all within 5 s */

struct service {
	const struct service_def *def;
	struct strv argv;       /* current command line (empty: not started) */
	pid_t pid;              /* 0: not running */
	long long started_ms;
	long long next_start_ms;  /* 0: no start pending */
	int backoff_ms;
	int restart_now;        /* stopped for a reload: start again at once */
};

static int sigpipe_fds[2] = { -1, -1 };
static int lock_fd = -1;      /* run_dir/postern.pid, locked */

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;
	ssize_t w = write(sigpipe_fds[1], &c, 1);

	(void)w;
	errno = saved;
}

/* The directory of the service programs: POSTERN_LIBEXEC (tests), else
 * ../libexec/postern beside this binary when installed, else this
 * binary's own directory (a build tree's bin/). */
static char *
find_libexec(void)
{
	char exe[PATH_MAX], try[PATH_MAX + 32];
	const char *env = getenv("POSTERN_LIBEXEC");
	ssize_t n;
	char *slash;
	struct stat st;

	if (env != NULL && env[0] == '/')
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return xstrdup("/usr/local/libexec/postern");
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(try, sizeof(try), "%s/../libexec/postern", exe);
	if (stat(try, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *real = realpath(try, NULL);
		if (real != NULL)
			return real;
	}
	return xstrdup(exe);
}

/* One supervisor per instance: an flock on run_dir/postern.pid, which
 * holds its pid.  Returns the descriptor (kept open), or -1. */
static int
lock_instance(const struct config *c)
{
	const char *run = config_str(c, "run_dir");
	char path[4096], pid[32];
	int fd, n;

	if (run == NULL)
		return -2;   /* nothing to lock: allowed */
	snprintf(path, sizeof(path), "%s/postern.pid", run);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_error("lock", "file=%s error=\"%m\"", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		log_error("lock", "file=%s error=\"another postern run holds it (pid %s)\"",
		    path, pid);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("lock", "file=%s error=\"%m\"", path);
	return fd;
}

static void
log_listening(const struct service *s, const struct config *c)
{
	size_t n, i;
	char **list;

	if (s->def->port == 0) {
		log_info("started", "service=%s", s->def->name);
		return;
	}
	list = config_list_new(c, "listen_address", &n);
	for (i = 0; i < n; i++) {
		if (strchr(list[i], ':') != NULL)
			log_info("listening", "service=%s addr=[%s]:%d", s->def->name,
			    list[i], service_port(s->def, c));
		else
			log_info("listening", "service=%s addr=%s:%d", s->def->name,
			    list[i], service_port(s->def, c));
	}
	config_list_free(list);
}

static void
start(struct service *s, const struct config *c, const char *libexec,
    const char *conf)
{
	sigset_t none;
	pid_t pid;

	s->next_start_ms = 0;
	s->restart_now = 0;
	pid = fork();
	if (pid < 0) {
		log_error("fork", "service=%s error=\"%m\"", s->def->name);
		s->next_start_ms = io_now_ms() + 1000;
		return;
	}
	if (pid == 0) {
		/* Own process group, so that a stop reaches its sessions too. */
		setpgid(0, 0);
		close(sigpipe_fds[0]);
		close(sigpipe_fds[1]);
		if (lock_fd >= 0)
			close(lock_fd);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Sockets systemd gave the supervisor are not the children's. */
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDNAMES");
		unsetenv("NOTIFY_SOCKET");
		setenv("POSTERN_CONF", conf, 1);
		setenv("POSTERN_LOG_STDERR", "1", 1);
		if (s->def->chain == CHAIN_QUEUE) {
			log_init("postern-queue-start", 1);
			_exit(queue_start(libexec));
		}
		if (s->def->chain == CHAIN_WRITERS) {
			log_init("postern-queue-start", 1);
			_exit(writers_start(c, s->argv.p));
		}
		execv(s->argv.p[0], s->argv.p);
		log_error("exec", "service=%s program=%s error=\"%m\"", s->def->name,
		    s->argv.p[0]);
		_exit(111);
	}
	setpgid(pid, pid);
	s->pid = pid;
	s->started_ms = io_now_ms();
	log_listening(s, c);
}

/* Build each service's command line for config c; start those not
 * running; restart those whose command line changed. */
static void
apply(struct service *sv, size_t n, const struct config *c, const char *libexec,
    const char *conf, int first)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct service *s = &sv[i];
		struct strv v = { NULL, 0, 0 };
		const char *missing = service_missing(s->def, libexec);

		if (missing != NULL) {
			if (first || s->argv.n > 0)
				log_info("not-started", "service=%s missing=%s",
				    s->def->name, missing);
			if (s->pid > 0) {
				kill(-s->pid, SIGTERM);
				kill(s->pid, SIGTERM);
			}
			strv_free(&s->argv);
			continue;
		}
		service_argv(s->def, c, libexec, &v);
		if (s->argv.n > 0 && strv_equal(&v, &s->argv) && s->pid > 0) {
			strv_free(&v);
			continue;
		}
		strv_free(&s->argv);
		s->argv = v;
		if (s->pid > 0) {
			/* Changed: stop it; the reaper starts it again at once. */
			s->restart_now = 1;
			kill(-s->pid, SIGTERM);
			kill(s->pid, SIGTERM);
		} else if (s->next_start_ms == 0 || !first) {
			s->backoff_ms = 0;
			start(s, c, libexec, conf);
		}
	}
}

static void
reap(struct service *sv, size_t n, const struct config *c, const char *libexec,
    const char *conf, int stopping)
{
	pid_t pid;
	int st;
	size_t i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < n; i++) {
			struct service *s = &sv[i];
			long long ran;
			if (s->pid != pid)
				continue;
			s->pid = 0;
			/* Whatever is left of its group goes too. */
			kill(-pid, SIGTERM);
			if (stopping)
				break;
			ran = io_now_ms() - s->started_ms;
			if (WIFEXITED(st))
				log_warn("exit", "service=%s pid=%ld status=%d",
				    s->def->name, (long)pid, WEXITSTATUS(st));
			else
				log_warn("exit", "service=%s pid=%ld signal=%d",
				    s->def->name, (long)pid, WTERMSIG(st));
			if (s->argv.n == 0)
				break;   /* removed by a reload */
			if (s->restart_now) {
				start(s, c, libexec, conf);
				break;
			}
			if (ran >= STABLE_MS || s->backoff_ms == 0)
				s->backoff_ms = BACKOFF_MIN_MS;
			else if (s->backoff_ms < BACKOFF_MAX_MS)
				s->backoff_ms *= 2;
			if (s->backoff_ms > BACKOFF_MAX_MS)
				s->backoff_ms = BACKOFF_MAX_MS;
			s->next_start_ms = io_now_ms() + s->backoff_ms;
			log_info("restart", "service=%s delay_ms=%d", s->def->name,
			    s->backoff_ms);
			break;
		}
	}
}

/* As a child subreaper, postern run inherits every process whose parent
 * died (a session process that outlived its listener).  At stop, kill
 * them and their process groups until none is left (at most ~0.5 s). */
static void
sweep_orphans(void)
{
	pid_t me = getpid(), mygroup = getpgrp();
	int round, found, st;

	for (round = 0; round < 10; round++) {
		DIR *d = opendir("/proc");
		struct dirent *de;

		found = 0;
		while (d != NULL && (de = readdir(d)) != NULL) {
			char path[300], buf[512], *close_paren;
			long ppid;
			pid_t pid, pgid;
			ssize_t r;
			int fd;

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			r = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (r <= 0)
				continue;
			buf[r] = '\0';
			/* "pid (comm) state ppid ...": comm may hold anything. */
			close_paren = strrchr(buf, ')');
			if (close_paren == NULL || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
				continue;
			if ((pid_t)ppid != me)
				continue;
			pid = (pid_t)atol(de->d_name);
			pgid = getpgid(pid);
			found++;
			if (pgid > 1 && pgid != mygroup)
				kill(-pgid, SIGKILL);
			kill(pid, SIGKILL);
		}
		if (d != NULL)
			closedir(d);
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		if (found == 0)
			return;
		poll(NULL, 0, 50);
	}
}

static void
stop_all(struct service *sv, size_t n)
{
	long long deadline = io_now_ms() + STOP_GRACE_MS;
	size_t i, running;
	pid_t pid, *groups = xcalloc(n ? n : 1, sizeof(pid_t));
	int st;

	for (i = 0; i < n; i++)
		if (sv[i].pid > 0) {
			groups[i] = sv[i].pid;   /* each service leads its group */
			kill(-sv[i].pid, SIGTERM);
			kill(sv[i].pid, SIGTERM);
		}
	for (;;) {
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < n; i++)
				if (sv[i].pid == pid)
					sv[i].pid = 0;
		running = 0;
		for (i = 0; i < n; i++)
			if (sv[i].pid > 0)
				running++;
		if (running == 0 || io_now_ms() >= deadline)
			break;
		poll(NULL, 0, 50);
	}
	for (i = 0; i < n; i++)
		if (sv[i].pid > 0) {
			log_warn("kill", "service=%s pid=%ld", sv[i].def->name,
			    (long)sv[i].pid);
			kill(-sv[i].pid, SIGKILL);
			kill(sv[i].pid, SIGKILL);
			waitpid(sv[i].pid, &st, 0);
			sv[i].pid = 0;
		}
	/* Sessions that outlived their listener and ignored SIGTERM. */
	for (i = 0; i < n; i++)
		if (groups[i] > 0)
			kill(-groups[i], SIGKILL);
	free(groups);
	sweep_orphans();
}

int
postern_run(int argc, char **argv)
{
	struct instance in;
	struct config *cfg = NULL, *fresh;
	struct service *sv;
	struct sigaction sa;
	char emsg[600], *libexec;
	size_t n = 0, i;
	int stopping = 0, stop_sig = SIGTERM;

	if (argc != 2) {
		fprintf(stderr, "usage: postern run DIR\n");
		return 100;
	}
	log_init("postern", 1);
	if (instance_init(&in, argv[1]) < 0)
		err(111, "getcwd");
	if (check_config_and_tables(in.conf, &cfg, emsg, sizeof(emsg)) < 0) {
		log_error("config", "error=\"%s\"", emsg);
		fprintf(stderr, "postern: %s\n", emsg);
		instance_free(&in);
		return 111;
	}
	if (geteuid() == 0) {
		/* The chains drop to these users: without them every session
		 * would fail, so say it once here instead. */
		uid_t u;
		gid_t g;
		int r;
		for (r = 0; r < SVCUSER_COUNT; r++)
			if (svcusers_lookup(config_str(cfg, "user_prefix"),
			    (enum svcuser_role)r, &u, &g) < 0) {
				log_error("users", "prefix=%s missing=%s error=\"service "
				    "users missing: run postern init as root, or create them "
				    "(INSTALL)\"", config_str(cfg, "user_prefix"),
				    svcusers_suffix((enum svcuser_role)r));
				fprintf(stderr, "postern: service users of prefix %s missing\n",
				    config_str(cfg, "user_prefix"));
				config_free(cfg);
				instance_free(&in);
				return 111;
			}
	}
	lock_fd = lock_instance(cfg);
	if (lock_fd == -1) {
		fprintf(stderr, "postern: %s is already running\n", in.dir);
		config_free(cfg);
		instance_free(&in);
		return 111;
	}
	libexec = find_libexec();
	if (geteuid() != 0)
		log_info("unprivileged", "uid=%u note=\"every program runs as this user; "
		    "the process split stays, the uid split is gone\"", (unsigned)geteuid());
	log_info("start", "instance=%s programs=%s", in.dir, libexec);

	/* Orphaned session processes come to us (sweep_orphans). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("subreaper", "error=\"%m\"");
	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
		err(111, "pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (service_defs[n].name != NULL)
		n++;
	sv = xcalloc(n, sizeof(*sv));
	for (i = 0; i < n; i++)
		sv[i].def = &service_defs[i];
	apply(sv, n, cfg, libexec, in.conf, 1);

	while (!stopping) {
		struct pollfd pfd = { sigpipe_fds[0], POLLIN, 0 };
		long long now = io_now_ms(), next = -1;
		unsigned char sigs[64];
		ssize_t r, k;
		int timeout;

		for (i = 0; i < n; i++)
			if (sv[i].next_start_ms > 0 &&
			    (next < 0 || sv[i].next_start_ms < next))
				next = sv[i].next_start_ms;
		timeout = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
			err(111, "poll");
		while ((r = read(sigpipe_fds[0], sigs, sizeof(sigs))) > 0) {
			for (k = 0; k < r; k++) {
				if (sigs[k] == SIGTERM || sigs[k] == SIGINT) {
					stopping = 1;
					stop_sig = sigs[k];
				}
				else if (sigs[k] == SIGCHLD)
					reap(sv, n, cfg, libexec, in.conf, stopping);
				else if (sigs[k] == SIGHUP && !stopping) {
					if (check_config_and_tables(in.conf, &fresh, emsg,
					    sizeof(emsg)) < 0) {
						log_error("reload", "status=refused error=\"%s\" "
						    "note=\"keeping the running config\"", emsg);
						continue;
					}
					config_free(cfg);
					cfg = fresh;
					log_info("reload", "status=ok");
					apply(sv, n, cfg, libexec, in.conf, 0);
					/* Children re-read what they read at start. */
					for (i = 0; i < n; i++) {
						if (sv[i].pid <= 0 || sv[i].restart_now ||
						    sv[i].def->reload == RELOAD_NOTHING)
							continue;
						if (sv[i].def->reload == RELOAD_RESTART) {
							sv[i].restart_now = 1;
							kill(-sv[i].pid, SIGTERM);
							kill(sv[i].pid, SIGTERM);
						} else
							kill(sv[i].pid, SIGHUP);
					}
				}
			}
		}
		if (stopping)
			break;
		now = io_now_ms();
		for (i = 0; i < n; i++)
			if (sv[i].next_start_ms > 0 && sv[i].next_start_ms <= now &&
			    sv[i].pid == 0 && sv[i].argv.n > 0)
				start(&sv[i], cfg, libexec, in.conf);
	}
	log_info("stop", "signal=%s", stop_sig == SIGINT ? "INT" : "TERM");
	stop_all(sv, n);
	log_info("stopped", "status=0");
	for (i = 0; i < n; i++)
		strv_free(&sv[i].argv);
	free(sv);
	free(libexec);
	config_free(cfg);
	instance_free(&in);
	if (lock_fd >= 0)
		close(lock_fd);
	return 0;
}
