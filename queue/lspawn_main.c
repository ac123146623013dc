/* lspawn_main.c: postern-lspawn, the local delivery spawner (DESIGN.md
 * rule 6, the qmail-lspawn idea).  Stays root; takes requests
 * (common/spawnproto.h) from postern-send on fds 0/1 (a socketpair from
 * the supervisor) and from postern-lmtpd on a listening UNIX socket whose
 * peers are checked with SO_PEERCRED (only the queue and LMTP users; run
 * by an ordinary user, only that user).  A request for one recipient
 * with one target starts that postern-deliver from here, without a copy
 * of this process (common/procspawn.h), and this loop reads its result
 * through a pipe, enforces delivery_timeout and answers; any other request
 * is handled in a child that runs postern-deliver per recipient
 * (lspawn_deliver.c).  It parses nothing but its own protocol. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "lspawn.h"
#include "privdrop.h"
#include "recipient.h"
#include "spawnproto.h"
#include "unixsock.h"
#include "svcusers.h"
#include "io.h"

#define MAX_CONNS    64      /* fd 0 plus lmtpd connections */
#define MAX_CHILDREN 100     /* requests handled at once */
#define DIRECT_MAX   1024    /* deliver's result line (< 600) */

struct conn {
	int fd;
	unsigned long gen;       /* tells a reused descriptor from the old one */
	struct spawn_reader rd;
};

/* A request being handled by a child: if the child dies before it
 * answered, the parent answers "temporary failure" for it, so that the
 * client never waits for a reply that cannot come. */
struct child {
	pid_t pid;
	uint32_t id;
	size_t nrcpts;
	int fd;
	unsigned long gen;
	/* the direct path (lspawn_start_direct): the target's name (NULL:
	 * the general path, whose child answers itself), the pipe
	 * postern-deliver writes its result line to, what came, the
	 * deadline */
	char *target;
	int pipefd;              /* -1: closed, or the general path */
	char got[DIRECT_MAX];
	size_t len;
	long deadline;           /* ms, CLOCK_MONOTONIC */
	int timed_out;
	char *rcpt, *queue_id;
};

static struct conn conns[MAX_CONNS];
static size_t nconns;
static unsigned long conn_gen;
static struct child kids[MAX_CHILDREN];
static int children;
static volatile sig_atomic_t got_term;

static void
on_signal(int sig)
{
	if (sig == SIGTERM)
		got_term = 1;
}

static void
child_lost(const struct child *k)
{
	struct spawn_reply *rep;
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < nconns; i++)
		if (conns[i].fd == k->fd && conns[i].gen == k->gen)
			break;
	if (i == nconns)
		return;   /* the client is gone */
	rep = spawn_reply_new(k->id);
	for (i = 0; i < k->nrcpts; i++)
		spawn_reply_add(rep, 4, 451, "4.3.0", "delivery process died", NULL);
	if (spawn_reply_encode(rep, &out) == 0)
		(void)spawn_send(k->fd, out.p, out.len, -1);
	buf_free(&out);
	spawn_reply_free(rep);
}


/* Read what a direct child wrote; close the pipe at EOF (or when the
 * bound is reached: the rest is not needed). */
static void
drain(struct child *k)
{
	ssize_t n;

	while (k->pipefd >= 0) {
		if (k->len == sizeof(k->got)) {
			close(k->pipefd);
			k->pipefd = -1;
			break;
		}
		n = read(k->pipefd, k->got + k->len, sizeof(k->got) - k->len);
		if (n > 0) {
			k->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		close(k->pipefd);
		k->pipefd = -1;
	}
}

int
lspawn_client_fd(int fd, unsigned long gen)
{
	size_t i;

	for (i = 0; i < nconns; i++)
		if (conns[i].fd == fd && conns[i].gen == gen)
			return fd;
	return -1;
}

/* The socket of k's client, or -1 when it is gone. */
static int
client_fd(const struct child *k)
{
	return lspawn_client_fd(k->fd, k->gen);
}

static void
reap(int block)
{
	int st, i;
	pid_t pid;

	/* workers (lspawn_pool.c) and retired workers are children too */
	while ((pid = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
		block = 0;
		if (lspawn_pool_reaped(pid, st))
			continue;
		for (i = 0; i < children; i++)
			if (kids[i].pid == pid)
				break;
		if (i == children)
			continue;
		/* the child is gone: its pipe holds all it wrote (read without
		 * waiting: a process it started may still hold the pipe) */
		drain(&kids[i]);
		if (kids[i].target != NULL)
			lspawn_direct_answer(kids[i].id, kids[i].queue_id, kids[i].rcpt,
			    kids[i].target, kids[i].got, kids[i].len, st,
			    kids[i].timed_out, client_fd(&kids[i]));
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			log_warn("child-died", "id=%u status=%d", (unsigned)kids[i].id,
			    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			child_lost(&kids[i]);
		}
		if (kids[i].pipefd >= 0)
			close(kids[i].pipefd);
		free(kids[i].rcpt);
		free(kids[i].queue_id);
		free(kids[i].target);
		kids[i] = kids[--children];
	}
}

/* Direct deliveries past delivery_timeout are killed (answered as
 * temporary failures when reaped).  The poll timeout until the next. */
static int
check_deadlines(void)
{
	long now = io_now_ms(), next = 1000;
	int i;

	for (i = 0; i < children; i++) {
		if (kids[i].deadline == 0 || kids[i].timed_out)
			continue;
		if (kids[i].deadline <= now) {
			kids[i].timed_out = 1;
			kill(kids[i].pid, SIGKILL);
		} else if (kids[i].deadline - now < next)
			next = kids[i].deadline - now;
	}
	return (int)next;
}

static void
conn_add(int fd)
{
	if (nconns == MAX_CONNS) {
		close(fd);
		return;
	}
	conns[nconns].fd = fd;
	conns[nconns].gen = ++conn_gen;
	spawn_reader_init(&conns[nconns].rd);
	nconns++;
}

static void
conn_drop(size_t i)
{
	spawn_reader_free(&conns[i].rd);
	close(conns[i].fd);
	conns[i] = conns[--nconns];
}

static int
listen_socket(const struct config *c)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *p = config_str(c, "lspawn_socket");
	int fd;

	if (p == NULL) {
		const char *q = config_str(c, "queue_dir");
		char *copy;

		if (q == NULL)
			return -1;
		copy = xstrdup(q);
		if ((size_t)snprintf(path, sizeof(path), "%s/run/%s", dirname(copy),
		    SPAWN_LSPAWN_SOCKET) >= sizeof(path)) {
			free(copy);
			return -1;
		}
		free(copy);
	} else if ((size_t)snprintf(path, sizeof(path), "%s", p) >= sizeof(path))
		return -1;
	/* anyone may connect; SO_PEERCRED decides who is served */
	fd = unixsock_listen(path, 64, 0666, SOCK_NONBLOCK);
	if (fd < 0) {
		log_error("listen", "path=%s error=\"%m\"", path);
		return -1;
	}
	log_info("listening", "path=%s", path);
	return fd;
}

/* Is the peer of a new connection the queue or the LMTP user? */
static int
peer_allowed(int fd, const struct lspawn_conf *lc)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uid_t u;
	gid_t g;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 0;
	if (!lc->root)
		return cr.uid == getuid();
	if (svcusers_lookup(lc->user_prefix, SVCUSER_LMTP, &u, &g) == 0 && cr.uid == u)
		return 1;
	if (svcusers_lookup(lc->user_prefix, SVCUSER_QUEUE, &u, &g) == 0 && cr.uid == u)
		return 1;
	log_warn("refused-peer", "uid=%lu pid=%ld", (unsigned long)cr.uid, (long)cr.pid);
	return 0;
}

/* The recipient tables, read again only when a file changed (checked
 * before every request: `postern user add` takes effect at once). */
static struct recipient_cache tables;

static void
dispatch(const struct lspawn_conf *lc, int lfd, size_t ci,
    struct spawn_request *req, int msgfd)
{
	struct recipient_tables *tab;
	char err[256];
	int p[2] = { -1, -1 };
	pid_t pid;

	tab = recipient_tables_cached(&tables, lc->conf, err, sizeof(err));
	if (tab == NULL)
		log_error("tables", "error=\"%s\"", err);
	while (children >= MAX_CHILDREN)
		reap(1);
	/* One recipient with one target: postern-deliver is started from
	 * here and its result read here (lspawn_start_direct). */
	if (req->nrcpts == 1 && pipe2(p, O_CLOEXEC) == 0) {
		struct child *k = &kids[children];
		char *target;

		pid = lspawn_start_direct(lc, tab, req, msgfd, conns[ci].fd, conns[ci].gen,
		    p[1], &target);
		close(p[1]);
		if (pid == 0) {
			close(p[0]);
			return;         /* answered, or a worker has it */
		}
		if (pid > 0) {
			fcntl(p[0], F_SETFL, O_NONBLOCK);
			memset(k, 0, sizeof(*k));
			k->pid = pid;
			k->id = req->id;
			k->nrcpts = 1;
			k->fd = conns[ci].fd;
			k->gen = conns[ci].gen;
			k->target = target;
			k->pipefd = p[0];
			k->deadline = io_now_ms() + (long)lc->delivery_timeout * 1000;
			k->rcpt = xstrdup(req->rcpts[0].addr);
			k->queue_id = req->queue_id ? xstrdup(req->queue_id) : NULL;
			children++;
			return;
		}
		close(p[0]);            /* several targets: below */
	}
	pid = fork();
	if (pid < 0) {
		/* answer temporary rather than leave the client waiting */
		struct spawn_reply *rep = spawn_reply_new(req->id);
		struct buf out = BUF_INIT;
		size_t i;

		for (i = 0; i < req->nrcpts; i++)
			spawn_reply_add(rep, 4, 451, "4.3.0", "fork failed", NULL);
		if (spawn_reply_encode(rep, &out) == 0)
			(void)spawn_send(conns[ci].fd, out.p, out.len, -1);
		buf_free(&out);
		spawn_reply_free(rep);
		return;
	}
	if (pid == 0) {
		int sock = conns[ci].fd;

		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		if (lfd >= 0)
			close(lfd);
		lspawn_handle(lc, tab, req, msgfd, sock);
		_exit(0);
	}
	memset(&kids[children], 0, sizeof(kids[children]));
	kids[children].pid = pid;
	kids[children].id = req->id;
	kids[children].nrcpts = req->nrcpts;
	kids[children].fd = conns[ci].fd;
	kids[children].gen = conns[ci].gen;
	kids[children].pipefd = -1;
	children++;
}

int
main(int argc, char **argv)
{
	struct lspawn_conf lc;
	struct config *conf;
	struct buf payload = BUF_INIT;
	struct sigaction sa;
	char self[4096];
	ssize_t sl;
	int lfd, type;
	socklen_t tl = sizeof(type);

	log_init("postern-lspawn", 0);
	conf = config_load_or_die();
	memset(&lc, 0, sizeof(lc));
	lc.conf = conf;
	lc.root = priv_is_root();
	lc.uid_min = config_int(conf, "uid_min");
	lc.uid_max = config_int(conf, "uid_max");
	lc.delivery_timeout = (int)config_int(conf, "delivery_timeout");
	snprintf(lc.user_prefix, sizeof(lc.user_prefix), "%s",
	    config_str(conf, "user_prefix") ? config_str(conf, "user_prefix") : "postern-");
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0) {
		log_error("start", "error=\"readlink /proc/self/exe: %m\"");
		return 111;
	}
	self[sl] = '\0';
	snprintf(lc.deliver, sizeof(lc.deliver), "%s/postern-deliver", dirname(self));
	if (access(lc.deliver, X_OK) < 0) {
		log_error("start", "error=\"%s: %m\"", lc.deliver);
		return 111;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);   /* no SA_RESTART: wakes poll */
	signal(SIGPIPE, SIG_IGN);
	if (!lc.root)
		log_info("unprivileged", "uid=%lu note=\"deliveries run as this uid\"",
		    (unsigned long)getuid());
	if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &tl) == 0)
		conn_add(0);
	lfd = listen_socket(conf);
	log_info("start", "deliver=%s from_send=%s lmtp_socket=%s", lc.deliver,
	    nconns ? "yes" : "no", lfd >= 0 ? "yes" : "no");
	while (!got_term) {
		struct pollfd pfd[MAX_CONNS + 1 + MAX_CHILDREN + LSPAWN_POOL_MAX];
		size_t i, n = 0, nc, np;
		int kidx[MAX_CHILDREN], nk = 0, nw, wait_ms, pool_ms;

		reap(0);
		wait_ms = check_deadlines();
		pool_ms = lspawn_pool_tick();
		if (pool_ms < wait_ms)
			wait_ms = pool_ms;
		for (i = 0; i < nconns; i++) {
			pfd[n].fd = conns[i].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		if (lfd >= 0) {
			pfd[n].fd = lfd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		if (n == 0)
			break;
		nc = n;
		for (int k = 0; k < children; k++) {
			if (kids[k].pipefd < 0)
				continue;
			pfd[n].fd = kids[k].pipefd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			kidx[nk++] = k;
			n++;
		}
		np = n;
		nw = lspawn_pool_pollfds(pfd + np);
		n += (size_t)nw;
		if (poll(pfd, n, wait_ms) < 0)
			continue;
		for (int k = 0; k < nk; k++)
			if (pfd[nc + k].revents)
				drain(&kids[kidx[k]]);
		lspawn_pool_ready(pfd + np, nw);
		n = nc;
		if (lfd >= 0 && (pfd[n - 1].revents & POLLIN)) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0) {
				if (peer_allowed(c, &lc))
					conn_add(c);
				else
					close(c);
			}
		}
		/* walk backwards: conn_drop moves the last one into place */
		for (i = nconns; i-- > 0;) {
			long r;
			int rc, fd;

			if (i >= n || pfd[i].fd != conns[i].fd || !pfd[i].revents)
				continue;
			r = spawn_reader_fill(&conns[i].rd, conns[i].fd);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				if (conns[i].fd == 0) {
					log_info("stop", "reason=\"postern-send closed its socket\"");
					got_term = 1;
				}
				conn_drop(i);
				continue;
			}
			while ((rc = spawn_reader_take(&conns[i].rd, &payload, 1, &fd)) == 1) {
				struct spawn_request *req;
				char err[128];

				if (fd < 0 || spawn_request_parse(payload.p, payload.len,
				    &req, err, sizeof(err)) < 0) {
					log_error("bad-request", "error=\"%s\"",
					    fd < 0 ? "no descriptor" : err);
					if (fd >= 0)
						close(fd);
					rc = -1;
					break;
				}
				dispatch(&lc, lfd, i, req, fd);
				close(fd);
				spawn_request_free(req);
			}
			if (rc < 0) {
				if (conns[i].fd == 0)
					got_term = 1;
				conn_drop(i);
			}
		}
	}
	if (lfd >= 0)
		close(lfd);
	for (size_t i = nconns; i-- > 0;)
		conn_drop(i);
	buf_free(&payload);
	recipient_cache_free(&tables);
	config_free(conf);
	/* running deliveries finish; their replies go to a closed peer */
	return 0;
}
