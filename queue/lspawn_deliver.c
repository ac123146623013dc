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
#include "log.h"
#include "lspawn.h"
#include "privdrop.h"
#include "recipient.h"
#include "spawnproto.h"
#include "svcusers.h"

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

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Child side: set up descriptors, environment and uid, exec deliver. */
static void __attribute__((noreturn))
exec_deliver(const struct lspawn_conf *lc, const struct spawn_request *req,
    const char *rcpt, const struct recipient_target *t, int msgfd, int out)
{
	char num[32];
	const char *conf = getenv("POSTERN_CONF");
	const char *logerr = getenv("POSTERN_LOG_STDERR");
	char *confcopy = conf ? strdup(conf) : NULL;
	char *logcopy = logerr ? strdup(logerr) : NULL;

	/* Deliveries of one message to several recipients run at once and
	 * the request's descriptor is one open file description shared by
	 * all of them (SCM_RIGHTS, fork): reopen it through /proc so that
	 * each postern-deliver reads with its own file offset. */
	snprintf(num, sizeof(num), "/proc/self/fd/%d", msgfd);
	{
		int own = open(num, O_RDONLY | O_CLOEXEC);
		if (own >= 0)
			msgfd = own;
	}
	if (lseek(msgfd, 0, SEEK_SET) < 0 || dup2(msgfd, 0) < 0 || dup2(out, 1) < 0)
		_exit(111);
	closefrom(3);
	clearenv();
	setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	if (confcopy)
		setenv("POSTERN_CONF", confcopy, 1);
	if (logcopy)
		setenv("POSTERN_LOG_STDERR", logcopy, 1);
	setenv("SENDER", req->sender, 1);
	setenv("RECIPIENT", rcpt, 1);
	if (req->queue_id)
		setenv("POSTERN_QUEUE_ID", req->queue_id, 1);
	if (t->kind == RECIPIENT_FORWARD) {
		if (lc->root) {
			char user[SVCUSER_NAME_MAX + 1];

			if (svcusers_name(lc->user_prefix, SVCUSER_QUEUE, user, sizeof(user)) < 0)
				_exit(111);
			priv_drop(user, NULL, PRIV_NOCHROOT);
		}
		execl(lc->deliver, "postern-deliver", "-F", t->address, (char *)NULL);
		_exit(111);
	}
	setenv("USER", t->user, 1);
	setenv("HOME", t->home, 1);
	setenv("EXT", t->extension ? t->extension : "", 1);
	snprintf(num, sizeof(num), "%llu", t->quota_bytes);
	setenv("POSTERN_QUOTA_BYTES", num, 1);
	snprintf(num, sizeof(num), "%llu", t->quota_messages);
	setenv("POSTERN_QUOTA_MESSAGES", num, 1);
	if (lc->root)
		priv_drop_ids(t->uid, t->gid);
	execl(lc->deliver, "postern-deliver", (char *)NULL);
	_exit(111);
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
	long deadline = now_ms() + (long)lc->delivery_timeout * 1000;
	pid_t pid;

	if (t->kind == RECIPIENT_LOCAL_USER && lc->root &&
	    (t->uid == 0 || (long)t->uid < lc->uid_min || (long)t->uid > lc->uid_max)) {
		log_error("refused", "rcpt=%s user=%s uid=%lu reason=\"uid 0 or outside [uid_min, uid_max]\"",
		    rcpt, t->user, (unsigned long)t->uid);
		set(o, 4, "4.3.0", "recipient uid not allowed for delivery");
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		set(o, 4, "4.3.0", "pipe failed");
		return;
	}
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		set(o, 4, "4.3.0", "fork failed");
		return;
	}
	if (pid == 0)
		exec_deliver(lc, req, rcpt, t, msgfd, p[1]);
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		long left = deadline - now_ms();
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
	if (timed_out) {
		set(o, 4, "4.3.0", "delivery timed out");
		return;
	}
	{
		char status[16] = "";
		const char *text = line;
		size_t sl = strcspn(line, " ");

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
}

static void
resolve_and_run(const struct lspawn_conf *lc, struct recipient_tables *tab,
    const struct spawn_request *req, const char *rcpt, int msgfd,
    struct outcome *o)
{
	struct recipient_list l;
	const char *reason = "";
	enum recipient_status rs;
	size_t i;

	memset(&l, 0, sizeof(l));
	if (tab == NULL) {
		set(o, 4, "4.3.5", "recipient tables cannot be loaded");
		return;
	}
	rs = recipient_resolve(tab, rcpt, strlen(rcpt), &l, &reason);
	switch (rs) {
	case RECIPIENT_FOUND:
		break;
	case RECIPIENT_NOT_LOCAL: set(o, 5, "5.1.2", "not a local domain"); goto out;
	case RECIPIENT_UNKNOWN: set(o, 5, "5.1.1", "no such user"); goto out;
	case RECIPIENT_LOOP: set(o, 5, "5.4.6", "alias loop"); goto out;
	case RECIPIENT_TOO_MANY: set(o, 5, "5.3.4", "alias expands to too many targets"); goto out;
	default: set(o, 5, "5.1.3", "bad recipient address"); goto out;
	}
	/* Several targets (an alias): any temporary failure makes the whole
	 * recipient temporary (retried: at least once); else any permanent
	 * failure makes it permanent. */
	set(o, 2, "2.0.0", "delivered");
	for (i = 0; i < l.n; i++) {
		struct outcome one;

		run_target(lc, req, rcpt, &l.t[i], msgfd, &one);
		log_info("delivery", "rcpt=%s target=%s class=%u status=%s text=\"%s\"",
		    rcpt, l.t[i].kind == RECIPIENT_FORWARD ? l.t[i].address : l.t[i].user,
		    one.cls, one.status, one.text);
		if (one.cls == 4 || (one.cls == 5 && o->cls == 2) || l.n == 1)
			*o = one;
		if (one.cls == 4)
			break;
	}
out:
	recipient_list_free(&l);
}

void
lspawn_handle(const struct lspawn_conf *lc, struct recipient_tables *tab,
    const struct spawn_request *req, int msgfd, int sock)
{
	struct spawn_reply *rep = spawn_reply_new(req->id);
	struct buf out = BUF_INIT;
	size_t i;

	if (req->queue_id)
		log_set_session(req->queue_id);
	for (i = 0; i < req->nrcpts; i++) {
		struct outcome o;

		resolve_and_run(lc, tab, req, req->rcpts[i].addr, msgfd, &o);
		spawn_reply_add(rep, o.cls, o.cls == 2 ? 250 : o.cls == 4 ? 451 : 550,
		    o.status, o.text, NULL);
	}
	/* One sendmsg of a small record: the kernel queues it whole, so
	 * replies of concurrent children do not interleave. */
	if (spawn_reply_encode(rep, &out) < 0 ||
	    spawn_send(sock, out.p, out.len, -1) < 0)
		log_error("reply", "id=%u error=\"%m\"", (unsigned)req->id);
	buf_free(&out);
	spawn_reply_free(rep);
}
