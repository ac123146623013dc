/* send_notify.c: the one delivery status notification of a finished
 * message (RFC 3464, built by common/dsn.c, queued through postern-queue):
 * failures unless NOTIFY=NEVER or NOTIFY without FAILURE, successes of
 * final (local) deliveries when NOTIFY=SUCCESS.  Never to <>: a failed
 * bounce goes to the postmaster once (double bounce); a failed double
 * bounce is dropped with a log line. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "envelope.h"
#include "esmtp_params.h"
#include "log.h"
#include "queue_inject.h"
#include "queuedir.h"
#include "send.h"

/* ENVID of a double bounce: its own failure is not reported again */
#define DOUBLE_BOUNCE_ENVID "postern-double-bounce"

static int
wants_failure(const struct envelope_rcpt *r)
{
	if (r->notify & ESMTP_NOTIFY_NEVER)
		return 0;
	return r->notify == 0 || (r->notify & ESMTP_NOTIFY_FAILURE);
}

int
send_notify(struct send_state *s, struct send_msg *m)
{
	struct envelope *env = m->env, *benv;
	struct dsn_rcpt dr[1024];
	size_t idx[1024], n = 0, i;
	struct dsn_info info;
	struct buf msg = BUF_INIT;
	char path[QUEUEDIR_PATH_MAX], qid[128], err[256];
	const char *to = env->sender;
	int is_bounce = env->sender[0] == '\0', fd, failed = 0;
	enum queue_inject_result res;

	for (i = 0; i < env->nrcpts && n < 1024; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		enum dsn_action a;

		if (r->flags & ENVELOPE_FLAG_DSN_SENT)
			continue;
		if (r->state == ENVELOPE_FAILED && wants_failure(r))
			a = DSN_FAILED;
		else if (r->state == ENVELOPE_DONE && (r->notify & ESMTP_NOTIFY_SUCCESS) &&
		    r->remote_mta == NULL && !is_bounce)
			a = DSN_DELIVERED;
		else
			continue;
		if (a == DSN_FAILED)
			failed++;
		memset(&dr[n], 0, sizeof(dr[n]));
		dr[n].addr = r->addr;
		dr[n].orcpt_type = r->orcpt_type;
		dr[n].orcpt = r->orcpt;
		dr[n].action = a;
		dr[n].status = r->dsn_status;
		dr[n].smtp_code = r->smtp_code;
		dr[n].diag = r->diag;
		dr[n].remote_mta = r->remote_mta;
		dr[n].last_attempt = r->time;
		idx[n++] = i;
	}
	if (n == 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (is_bounce) {
		if (env->envid && strcmp(env->envid, DOUBLE_BOUNCE_ENVID) == 0) {
			log_warn("double-bounce-dropped", "id=%s rcpt=%s diag=\"%s\"", m->id,
			    dr[0].addr, dr[0].diag ? dr[0].diag : "");
			return 0;
		}
		to = "postmaster";
		info.postmaster_note = "A delivery status notification (a message with "
		    "an empty envelope sender) could not be delivered.";
	}
	if (s->inject_program[0] == '\0') {
		log_error("dsn", "id=%s error=\"no postern-queue to inject with\"", m->id);
		return -1;
	}
	info.reporting_mta = s->hostname;
	info.to = to;
	info.envid = is_bounce ? NULL : env->envid;
	info.queue_id = m->id;
	info.arrival = env->arrival;
	info.ret = env->ret;
	info.now = (uint64_t)time(NULL);
	fd = -1;
	if (queuedir_path(path, sizeof(path), s->queue, QUEUEDIR_MESS, m->id) == 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	dsn_build(&info, dr, n, fd, &msg);
	if (fd >= 0)
		close(fd);
	benv = envelope_new();
	envelope_set(&benv->sender, "");
	if (is_bounce)
		envelope_set(&benv->envid, DOUBLE_BOUNCE_ENVID);
	envelope_add_rcpt(benv, to, 0, NULL, NULL);
	benv->arrival = info.now;
	benv->uid = (uint32_t)getuid();
	benv->size = msg.len;
	res = queue_inject_message(s->inject_program, msg.p, msg.len, benv, 120000,
	    qid, sizeof(qid), err, sizeof(err));
	envelope_free(benv);
	buf_free(&msg);
	if (res != QUEUE_INJECT_OK) {
		log_error("dsn", "id=%s to=<%s> error=\"%s\"", m->id, to, err);
		return -1;
	}
	log_info("dsn", "id=%s to=<%s> dsn_id=%s failed=%d delivered=%zu%s", m->id, to,
	    qid, failed, n - (size_t)failed, is_bounce ? " double_bounce=1" : "");
	/* remember, so that a crash before the removal sends no second one */
	{
		int states[1024];
		unsigned codes[1024];
		char *st[1024], *dg[1024], *mt[1024];

		for (i = 0; i < n; i++) {
			const struct envelope_rcpt *r = &env->rcpts[idx[i]];

			states[i] = r->state;
			codes[i] = r->smtp_code;
			st[i] = r->dsn_status;
			dg[i] = r->diag;
			mt[i] = r->remote_mta;
		}
		/* strings are copied before the in-memory fields change */
		for (i = 0; i < n; i++) {
			st[i] = st[i] ? xstrdup(st[i]) : NULL;
			dg[i] = dg[i] ? xstrdup(dg[i]) : NULL;
			mt[i] = mt[i] ? xstrdup(mt[i]) : NULL;
		}
		send_store_record(s, m, idx, n, states, codes, st, dg, mt,
		    ENVELOPE_FLAG_DSN_SENT);
		for (i = 0; i < n; i++) {
			free(st[i]);
			free(dg[i]);
			free(mt[i]);
		}
	}
	return 0;
}
