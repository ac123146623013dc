/* lspawn_pool.c: postern-deliver workers (postern-deliver -S,
 * common/deliverproto.h), kept by postern-lspawn per (uid, gid) for a
 * while after a delivery, so that the next delivery to the same user is a
 * record on a socket instead of a process start.  A worker runs as that
 * user only and gets only that user's deliveries: what it could see or
 * change is what a single postern-deliver as that user could.  Busy
 * workers are held to delivery_timeout (killed past it); idle ones are
 * let go after POOL_IDLE_MS; each serves at most POOL_SERVE_MAX. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "deliverproto.h"
#include "envlist.h"
#include "io.h"
#include "log.h"
#include "lspawn.h"
#include "procspawn.h"
#include "recipient.h"
#include "spawnproto.h"

#define POOL_MAX       LSPAWN_POOL_MAX
#define POOL_IDLE_MS   2000
#define POOL_SERVE_MAX 150      /* below the worker's own limit */
#define POOL_GOT       1024     /* the result line (deliver's is < 600) */

struct worker {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int fd;                  /* -1: at its end (waiting to be reaped) */
	unsigned served;
	long idle_since;         /* ms; 0 while busy */
	/* the delivery it is doing */
	int busy, timed_out;
	uint32_t id;
	int cfd;
	unsigned long gen;
	long deadline;
	char got[POOL_GOT];      /* its result line so far */
	size_t len;
	char *rcpt, *queue_id, *target;
};

static struct worker pool[POOL_MAX];
static int npool;

static void
job_clear(struct worker *w)
{
	free(w->rcpt);
	free(w->queue_id);
	free(w->target);
	w->rcpt = w->queue_id = w->target = NULL;
	w->busy = w->timed_out = 0;
	w->len = 0;
}

static void
drop(int i)
{
	if (pool[i].fd >= 0)
		close(pool[i].fd);
	job_clear(&pool[i]);
	pool[i] = pool[--npool];
}

/* Answer the delivery w was doing, with wstatus as its result. */
static void
answer(struct worker *w, int wstatus)
{
	lspawn_direct_answer(w->id, w->queue_id, w->rcpt, w->target, w->got, w->len,
	    wstatus, w->timed_out, lspawn_client_fd(w->cfd, w->gen));
	job_clear(w);
}

static pid_t
start_worker(const struct lspawn_conf *lc, uid_t uid, gid_t gid, int *fd)
{
	char *argv[] = { (char *)"postern-deliver", (char *)"-S", NULL };
	struct procspawn ps = { 0 };
	struct envlist e;
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	lspawn_base_env(&e);
	ps.path = lc->deliver;
	ps.argv = argv;
	ps.envp = envlist_vec(&e);
	ps.fd_from[0] = sp[1];
	ps.fd_to[0] = 0;
	ps.fd_from[1] = sp[1];
	ps.fd_to[1] = 1;
	ps.nfds = 2;
	ps.closefrom = 3;
	ps.pgid = -1;
	if (lc->root) {
		ps.drop = 1;
		ps.uid = uid;
		ps.gid = gid;
	}
	pid = procspawn(&ps);
	envlist_free(&e);
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return -1;
	}
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	*fd = sp[0];
	return pid;
}

int
lspawn_pool_deliver(const struct lspawn_conf *lc, const struct spawn_request *req,
    const char *rcpt, const struct recipient_target *t, int msgfd, int cfd,
    unsigned long gen)
{
	struct deliver_facts f;
	struct worker *w = NULL;
	int i, own;

	if (t->kind != RECIPIENT_LOCAL_USER)
		return 0;
	for (i = 0; i < npool; i++)
		if (!pool[i].busy && pool[i].fd >= 0 && pool[i].uid == t->uid &&
		    pool[i].gid == t->gid) {
			w = &pool[i];
			break;
		}
	if (w == NULL) {
		if (npool == POOL_MAX) {
			/* make room: the longest idle one goes */
			int old = -1;

			for (i = 0; i < npool; i++)
				if (!pool[i].busy && pool[i].fd >= 0 &&
				    (old < 0 || pool[i].idle_since < pool[old].idle_since))
					old = i;
			if (old < 0)
				return 0;       /* all busy: a single delivery */
			close(pool[old].fd);
			pool[old].fd = -1;
			drop(old);
		}
		w = &pool[npool];
		memset(w, 0, sizeof(*w));
		w->pid = start_worker(lc, t->uid, t->gid, &w->fd);
		if (w->pid < 0) {
			log_error("exec", "prog=%s error=\"%m\"", lc->deliver);
			return 0;
		}
		w->uid = t->uid;
		w->gid = t->gid;
		npool++;
	}
	own = lspawn_own_fd(msgfd);
	if (own < 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.sender = req->sender;
	f.recipient = rcpt;
	f.user = t->user;
	f.home = t->home;
	f.ext = t->extension ? t->extension : "";
	f.queue_id = req->queue_id;
	f.msgsize = req->size;
	f.quota_bytes = t->quota_bytes;
	f.quota_msgs = t->quota_messages;
	if (deliverproto_send(w->fd, &f, own) < 0) {
		/* a worker that went away: let it be reaped; a single delivery */
		close(own);
		close(w->fd);
		w->fd = -1;
		return 0;
	}
	close(own);
	w->busy = 1;
	w->idle_since = 0;
	w->id = req->id;
	w->cfd = cfd;
	w->gen = gen;
	w->deadline = io_now_ms() + (long)lc->delivery_timeout * 1000;
	w->len = 0;
	w->rcpt = xstrdup(rcpt);
	w->target = xstrdup(t->user);
	w->queue_id = req->queue_id ? xstrdup(req->queue_id) : NULL;
	return 1;
}

int
lspawn_pool_pollfds(struct pollfd *pfd)
{
	int i, n = 0;

	for (i = 0; i < npool; i++)
		if (pool[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = pool[i].fd, .events = POLLIN };
	return n;
}

/* Read what w sent: the result line, then the status record. */
static void
take(int i)
{
	struct worker *w = &pool[i];
	char rec[DELIVERPROTO_MAX];
	ssize_t n;
	int st;

	while (w->fd >= 0) {
		n = recv(w->fd, rec, sizeof(rec), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* its end: the reap answers for a delivery in hand */
			close(w->fd);
			w->fd = -1;
			return;
		}
		if (!w->busy) {
			/* nothing is asked of it: a worker that talks is dropped */
			close(w->fd);
			w->fd = -1;
			kill(w->pid, SIGKILL);
			return;
		}
		if ((st = deliverproto_status(rec, (size_t)n)) >= 0) {
			answer(w, W_EXITCODE(st, 0));
			w->served++;
			w->idle_since = io_now_ms();
			if (w->served >= POOL_SERVE_MAX) {
				close(w->fd);
				w->fd = -1;
			}
			return;
		}
		if (rec[0] == '=') {
			close(w->fd);
			w->fd = -1;
			kill(w->pid, SIGKILL);
			return;
		}
		/* the result line (bounded: the rest is not needed) */
		if ((size_t)n > sizeof(w->got) - w->len)
			n = (ssize_t)(sizeof(w->got) - w->len);
		memcpy(w->got + w->len, rec, (size_t)n);
		w->len += (size_t)n;
	}
}

void
lspawn_pool_ready(const struct pollfd *pfd, int n)
{
	int i, k = 0;

	/* the same order as lspawn_pool_pollfds; nothing changed since */
	for (i = 0; i < npool && k < n; i++) {
		if (pool[i].fd < 0)
			continue;
		if (pool[i].fd == pfd[k].fd && pfd[k].revents)
			take(i);
		k++;
	}
}

int
lspawn_pool_reaped(pid_t pid, int wstatus)
{
	int i;

	for (i = 0; i < npool; i++) {
		if (pool[i].pid != pid)
			continue;
		take(i);                /* what it sent before it ended */
		if (pool[i].busy)
			answer(&pool[i], wstatus);
		drop(i);
		return 1;
	}
	return 0;
}

int
lspawn_pool_tick(void)
{
	long now = io_now_ms(), next = 1000;
	int i;

	for (i = 0; i < npool; i++) {
		struct worker *w = &pool[i];

		if (w->busy && !w->timed_out) {
			if (w->deadline <= now) {
				w->timed_out = 1;
				kill(w->pid, SIGKILL);
			} else if (w->deadline - now < next)
				next = w->deadline - now;
		} else if (!w->busy && w->fd >= 0) {
			if (now - w->idle_since >= POOL_IDLE_MS) {
				close(w->fd);   /* it ends at the end of its socket */
				w->fd = -1;
			} else if (POOL_IDLE_MS - (now - w->idle_since) < next)
				next = POOL_IDLE_MS - (now - w->idle_since);
		}
	}
	return (int)next;
}

int
lspawn_pool_size(void)
{
	return npool;
}
