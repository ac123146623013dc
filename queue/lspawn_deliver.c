/* lspawn_deliver.c: one request of postern-lspawn: resolve each recipient
 * (common/recipient.h), run postern-deliver for each target - as the
 * user's uid for a local user (refusing uid 0 and uids outside [uid_min,
 * uid_max]), as the queue user for a forwarding alias - and answer with
 * one result per recipient. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "envlist.h"
#include "log.h"
#include "lspawn.h"
#include "procspawn.h"
#include "recipient.h"
#include "spawnproto.h"
#include "svcusers.h"
#include "io.h"

#define RESULT_LINE_MAX 1000

struct outcome {
	unsigned cls;            /* 2, 4, 5 */
	char status[16];
	char text[RESULT_LINE_MAX + 1];
};

static void
set(struct outcome *o, unsigned cls, const char *status, const char *text)
{
	o->cls = cls;
	snprintf(o->status, sizeof(o->status), "%s", status);
	/* short, so a reply of SPAWN_MAX_RCPTS results stays one small record */
	snprintf(o->text, sizeof(o->text), "%.400s", text);
}


int
lspawn_own_fd(int msgfd)
{
	char num[32];

	/* Deliveries of one message to several recipients run at once and
	 * the request's descriptor is one open file description shared by
	 * all of them (SCM_RIGHTS): reopen it through /proc so that each
	 * postern-deliver reads with its own file offset. */
	snprintf(num, sizeof(num), "/proc/self/fd/%d", msgfd);
	return open(num, O_RDONLY | O_CLOEXEC);
}

void
lspawn_base_env(struct envlist *e)
{
	const char *v;

	envlist_init(e);
	envlist_set(e, "PATH", "/usr/local/bin:/usr/bin:/bin");
	if ((v = getenv("POSTERN_CONF")) != NULL)
		envlist_set(e, "POSTERN_CONF", v);
	if ((v = getenv("POSTERN_LOG_STDERR")) != NULL)
		envlist_set(e, "POSTERN_LOG_STDERR", v);
}

/* Start postern-deliver for one target: the message on 0 (its own open
 * file description), its result line on out (fd 1), an environment of
 * its own, as the user's uid (a forward: as the queue user).  No copy of
 * this process is made (procspawn.h).  The pid, or -1. */
static pid_t
start_deliver(const struct lspawn_conf *lc, const struct spawn_request *req,
    const char *rcpt, const struct recipient_target *t, int msgfd, int out)
{
	char num[32], *argv[4] = { (char *)"postern-deliver", NULL, NULL, NULL };
	struct procspawn ps = { 0 };
	struct envlist e;
	int own;
	pid_t pid;

	own = lspawn_own_fd(msgfd);
	if (own < 0) {
		own = msgfd;
		if (lseek(msgfd, 0, SEEK_SET) < 0)
			return -1;
	}
	lspawn_base_env(&e);
	envlist_set(&e, "SENDER", req->sender);
	envlist_set(&e, "RECIPIENT", rcpt);
	/* the message is the file's first req->size bytes (a queue file
	 * goes on with its envelope) */
	snprintf(num, sizeof(num), "%llu", (unsigned long long)req->size);
	envlist_set(&e, "POSTERN_MESSAGE_SIZE", num);
	if (req->queue_id)
		envlist_set(&e, "POSTERN_QUEUE_ID", req->queue_id);
	if (t->kind == RECIPIENT_FORWARD) {
		argv[1] = (char *)"-F";
		argv[2] = t->address;
		if (lc->root) {
			if (svcusers_lookup(lc->user_prefix, SVCUSER_QUEUE, &ps.uid, &ps.gid) < 0) {
				pid = -1;
				errno = ESRCH;
				goto out;
			}
			ps.drop = 1;
		}
	} else {
		envlist_set(&e, "USER", t->user);
		envlist_set(&e, "HOME", t->home);
		envlist_set(&e, "EXT", t->extension ? t->extension : "");
		snprintf(num, sizeof(num), "%llu", t->quota_bytes);
		envlist_set(&e, "POSTERN_QUOTA_BYTES", num);
		snprintf(num, sizeof(num), "%llu", t->quota_messages);
		envlist_set(&e, "POSTERN_QUOTA_MESSAGES", num);
		if (lc->root) {
			ps.drop = 1;
			ps.uid = t->uid;
			ps.gid = t->gid;
		}
	}
	ps.path = lc->deliver;
	ps.argv = argv;
	ps.envp = envlist_vec(&e);
	ps.fd_from[0] = own;
	ps.fd_to[0] = 0;
	ps.fd_from[1] = out;
	ps.fd_to[1] = 1;
	ps.nfds = 2;
	ps.closefrom = 3;       /* nothing of ours reaches the user's process */
	ps.pgid = -1;
	pid = procspawn(&ps);
	if (pid < 0)
		log_error("exec", "prog=%s error=\"%m\"", lc->deliver);
out:
	if (own != msgfd)
		close(own);
	envlist_free(&e);
	return pid;
}

/* Refuse uid 0 and uids outside [uid_min, uid_max] (DESIGN.md rule 6).
 * 1 when t may be delivered; else 0 with o set. */
static int
target_allowed(const struct lspawn_conf *lc, const char *rcpt,
    const struct recipient_target *t, struct outcome *o)
{
	if (t->kind == RECIPIENT_LOCAL_USER && lc->root &&
	    (t->uid == 0 || (long)t->uid < lc->uid_min || (long)t->uid > lc->uid_max)) {
		log_error("refused", "rcpt=%s user=%s uid=%lu reason=\"uid 0 or outside [uid_min, uid_max]\"",
		    rcpt, t->user, (unsigned long)t->uid);
		set(o, 4, "4.3.0", "recipient uid not allowed for delivery");
		return 0;
	}
	return 1;
}

/* The outcome of one postern-deliver: its result line ("STATUS text") and
 * wait status. */
static void
outcome_of(const char *line, int st, int timed_out, struct outcome *o)
{
	char status[16] = "";
	const char *text = line;
	size_t sl = strcspn(line, " ");

	if (timed_out) {
		set(o, 4, "4.3.0", "delivery timed out");
		return;
	}
	if (sl > 0 && sl < sizeof(status) && line[0] >= '2' && line[0] <= '5') {
		memcpy(status, line, sl);
		status[sl] = '\0';
		text = line + sl + (line[sl] == ' ');
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		set(o, 2, status[0] == '2' ? status : "2.0.0", text[0] ? text : "delivered");
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
		set(o, 5, status[0] == '5' ? status : "5.3.0", text[0] ? text : "permanent failure");
	else
		set(o, 4, status[0] == '4' ? status : "4.3.0",
		    text[0] ? text : "postern-deliver failed");
}

/* Run one target; fills o. */
static void
run_target(const struct lspawn_conf *lc, const struct spawn_request *req,
    const char *rcpt, const struct recipient_target *t, int msgfd,
    struct outcome *o)
{
	int p[2], st = 0, timed_out = 0;
	char line[RESULT_LINE_MAX + 1];
	size_t len = 0;
	long deadline = io_now_ms() + (long)lc->delivery_timeout * 1000;
	pid_t pid;

	if (!target_allowed(lc, rcpt, t, o))
		return;
	if (pipe2(p, O_CLOEXEC) < 0) {
		set(o, 4, "4.3.0", "pipe failed");
		return;
	}
	pid = start_deliver(lc, req, rcpt, t, msgfd, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		set(o, 4, "4.3.0", "cannot start postern-deliver");
		return;
	}
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		long left = deadline - io_now_ms();
		ssize_t n;

		if (left <= 0) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(p[0], line + len, RESULT_LINE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == RESULT_LINE_MAX) {
			char sink[4096];

			/* keep draining so that the child never blocks */
			while (read(p[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	outcome_of(line, st, timed_out, o);
}

/* Resolve rcpt into l.  1 when it has targets; else 0 with o set. */
static int
resolve(struct recipient_tables *tab, const char *rcpt,
    struct recipient_list *l, struct outcome *o)
{
	const char *reason = "";

	memset(l, 0, sizeof(*l));
	if (tab == NULL) {
		set(o, 4, "4.3.5", "recipient tables cannot be loaded");
		return 0;
	}
	switch (recipient_resolve(tab, rcpt, strlen(rcpt), l, &reason)) {
	case RECIPIENT_FOUND: return 1;
	case RECIPIENT_NOT_LOCAL: set(o, 5, "5.1.2", "not a local domain"); break;
	case RECIPIENT_UNKNOWN: set(o, 5, "5.1.1", "no such user"); break;
	case RECIPIENT_LOOP: set(o, 5, "5.4.6", "alias loop"); break;
	case RECIPIENT_TOO_MANY: set(o, 5, "5.3.4", "alias expands to too many targets"); break;
	default: set(o, 5, "5.1.3", "bad recipient address"); break;
	}
	return 0;
}

static const char *
target_name(const struct recipient_target *t)
{
	return t->kind == RECIPIENT_FORWARD ? t->address : t->user;
}

static void
resolve_and_run(const struct lspawn_conf *lc, struct recipient_tables *tab,
    const struct spawn_request *req, const char *rcpt, int msgfd,
    struct outcome *o)
{
	struct recipient_list l;
	size_t i;

	if (!resolve(tab, rcpt, &l, o))
		goto out;
	/* Several targets (an alias): any temporary failure makes the whole
	 * recipient temporary (retried: at least once); else any permanent
	 * failure makes it permanent. */
	set(o, 2, "2.0.0", "delivered");
	for (i = 0; i < l.n; i++) {
		struct outcome one;

		run_target(lc, req, rcpt, &l.t[i], msgfd, &one);
		log_info("delivery", "rcpt=%s target=%s class=%u status=%s text=\"%s\"",
		    rcpt, target_name(&l.t[i]), one.cls, one.status, one.text);
		if (one.cls == 4 || (one.cls == 5 && o->cls == 2) || l.n == 1)
			*o = one;
		if (one.cls == 4)
			break;
	}
out:
	recipient_list_free(&l);
}

static void
add_outcome(struct spawn_reply *rep, const struct outcome *o)
{
	spawn_reply_add(rep, o->cls, o->cls == 2 ? 250 : o->cls == 4 ? 451 : 550,
	    o->status, o->text, NULL);
}

/* One sendmsg of a small record: the kernel queues it whole, so replies
 * of concurrent children (and of the parent) do not interleave. */
static void
send_reply(struct spawn_reply *rep, uint32_t id, int sock)
{
	struct buf out = BUF_INIT;

	if (spawn_reply_encode(rep, &out) < 0 ||
	    spawn_send(sock, out.p, out.len, -1) < 0)
		log_error("reply", "id=%u error=\"%m\"", (unsigned)id);
	buf_free(&out);
	spawn_reply_free(rep);
}

void
lspawn_handle(const struct lspawn_conf *lc, struct recipient_tables *tab,
    const struct spawn_request *req, int msgfd, int sock)
{
	struct spawn_reply *rep = spawn_reply_new(req->id);
	size_t i;

	if (req->queue_id)
		log_set_session(req->queue_id);
	for (i = 0; i < req->nrcpts; i++) {
		struct outcome o;

		resolve_and_run(lc, tab, req, req->rcpts[i].addr, msgfd, &o);
		add_outcome(rep, &o);
	}
	send_reply(rep, req->id, sock);
}

pid_t
lspawn_start_direct(const struct lspawn_conf *lc, struct recipient_tables *tab,
    const struct spawn_request *req, int msgfd, int sock, unsigned long gen,
    int out, char **target)
{
	const char *rcpt = req->rcpts[0].addr;
	struct recipient_list l;
	struct outcome o;
	pid_t pid = 0;
	int found;

	*target = NULL;
	if (req->queue_id)
		log_set_session(req->queue_id);
	found = resolve(tab, rcpt, &l, &o);
	if (found && l.n != 1) {
		pid = -1;               /* several targets: the general path */
		goto out;
	}
	if (found && target_allowed(lc, rcpt, &l.t[0], &o)) {
		/* a worker of the user's, if one is idle or can be started */
		if (lspawn_pool_deliver(lc, req, rcpt, &l.t[0], msgfd, sock, gen))
			goto out;
		if ((pid = start_deliver(lc, req, rcpt, &l.t[0], msgfd, out)) > 0) {
			*target = xstrdup(target_name(&l.t[0]));
			goto out;
		}
		pid = 0;
		set(&o, 4, "4.3.0", "cannot start postern-deliver");
	}
	/* not delivered (o says why): answered here */
	{
		struct spawn_reply *rep = spawn_reply_new(req->id);

		add_outcome(rep, &o);
		send_reply(rep, req->id, sock);
	}
out:
	recipient_list_free(&l);
	log_set_session(NULL);
	return pid;
}

void
lspawn_direct_answer(uint32_t id, const char *queue_id, const char *rcpt,
    const char *target, const char *got, size_t len, int wstatus,
    int timed_out, int sock)
{
	char line[RESULT_LINE_MAX + 1];
	struct spawn_reply *rep;
	struct outcome o;

	snprintf(line, sizeof(line), "%.*s", (int)(len < RESULT_LINE_MAX ? len : RESULT_LINE_MAX), got);
	line[strcspn(line, "\n")] = '\0';
	outcome_of(line, wstatus, timed_out, &o);
	if (queue_id)
		log_set_session(queue_id);
	log_info("delivery", "rcpt=%s target=%s class=%u status=%s text=\"%s\"",
	    rcpt, target, o.cls, o.status, o.text);
	log_set_session(NULL);
	rep = spawn_reply_new(id);
	add_outcome(rep, &o);
	if (sock >= 0)
		send_reply(rep, id, sock);
	else
		spawn_reply_free(rep);
}
