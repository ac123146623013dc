/* send_notify.c: the delivery status notifications of a message (RFC
 * 3464, built by common/dsn.c, queued through postern-queue):
 * - when every recipient is final, one report: failures unless
 *   NOTIFY=NEVER or NOTIFY without FAILURE; successes when NOTIFY=SUCCESS,
 *   "delivered" for final (local) deliveries and "relayed" for a remote
 *   next hop that did not announce DSN (RFC 3461 6.2; a next hop that did
 *   got NOTIFY passed on and reports itself);
 * - at most once per message, delay_warning_time after arrival, a
 *   "delayed" report for the recipients still deferred that asked for it
 *   (NOTIFY=DELAY; without NOTIFY only when delay_warning_notify_absent).
 * Never to <>: a failed bounce goes to the postmaster once (double
 * bounce); a failed double bounce is dropped with a log line; a bounce
 * gets no delay or success reports. */
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
#define MAX_REPORTED 1024   /* recipients in one report */

static int
wants_failure(const struct envelope_rcpt *r)
{
	if (r->notify & ESMTP_NOTIFY_NEVER)
		return 0;
	return r->notify == 0 || (r->notify & ESMTP_NOTIFY_FAILURE);
}

static int
wants_delay(const struct send_state *s, const struct envelope_rcpt *r)
{
	if (r->notify == 0)
		return s->delay_notify_absent;
	return (r->notify & ESMTP_NOTIFY_NEVER) == 0 &&
	    (r->notify & ESMTP_NOTIFY_DELAY) != 0;
}

static void
fill(struct dsn_rcpt *d, const struct envelope_rcpt *r, enum dsn_action a)
{
	memset(d, 0, sizeof(*d));
	d->addr = r->addr;
	d->orcpt_type = r->orcpt_type;
	d->orcpt = r->orcpt;
	d->action = a;
	d->status = r->dsn_status;
	d->smtp_code = r->smtp_code;
	d->diag = r->diag;
	d->remote_mta = r->remote_mta;
	d->last_attempt = r->time;
}

/* Build and queue one report on m, then write a marker record with flag
 * for the recipients idx[0..n-1].  0, or -1 to retry later. */
static int
report(struct send_state *s, struct send_msg *m, const struct dsn_rcpt *dr,
    const size_t *idx, size_t n, unsigned flag)
{
	struct envelope *env = m->env, *benv;
	struct dsn_info info;
	struct buf msg = BUF_INIT;
	char path[QUEUEDIR_PATH_MAX], qid[128], err[256];
	const char *to = env->sender;
	int is_bounce = env->sender[0] == '\0', fd;
	size_t i, failed = 0, delayed = 0;
	enum queue_inject_result res;

	for (i = 0; i < n; i++) {
		failed += dr[i].action == DSN_FAILED;
		delayed += dr[i].action == DSN_DELAYED;
	}
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
	info.msgsize = env->size;
	/* a report's marker is a state record: the message in mess/ first */
	if (send_store_take_in(s, m) < 0)
		return -1;
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
	log_info("dsn", "id=%s to=<%s> dsn_id=%s failed=%zu delayed=%zu delivered=%zu%s",
	    m->id, to, qid, failed, delayed, n - failed - delayed,
	    is_bounce ? " double_bounce=1" : "");
	/* remember, so that a crash after this sends no second one */
	{
		int states[MAX_REPORTED];
		unsigned codes[MAX_REPORTED];
		char *st[MAX_REPORTED], *dg[MAX_REPORTED], *mt[MAX_REPORTED];

		/* strings are copied before the in-memory fields change */
		for (i = 0; i < n; i++) {
			const struct envelope_rcpt *r = &env->rcpts[idx[i]];

			states[i] = r->state;
			codes[i] = r->smtp_code;
			st[i] = r->dsn_status ? xstrdup(r->dsn_status) : NULL;
			dg[i] = r->diag ? xstrdup(r->diag) : NULL;
			mt[i] = r->remote_mta ? xstrdup(r->remote_mta) : NULL;
		}
		send_store_record(s, m, idx, n, states, codes, st, dg, mt, flag,
		    NULL, SEND_REC_SYNC);
		for (i = 0; i < n; i++) {
			free(st[i]);
			free(dg[i]);
			free(mt[i]);
		}
	}
	return 0;
}

/* The final report's action for a recipient in state with flags and
 * remote_mta: 1 with *a, or 0 when it is not reported. */
static int
final_action(const struct envelope *env, const struct envelope_rcpt *r,
    int state, unsigned flags, const char *mta, enum dsn_action *a)
{
	int success = (r->notify & ESMTP_NOTIFY_SUCCESS) &&
	    !(r->notify & ESMTP_NOTIFY_NEVER) && env->sender[0] != '\0';

	if (flags & ENVELOPE_FLAG_DSN_SENT)
		return 0;
	if (state == ENVELOPE_FAILED && wants_failure(r))
		*a = DSN_FAILED;
	else if (state == ENVELOPE_DONE && success && (flags & SEND_FLAG_RELAYED))
		*a = DSN_RELAYED;
	else if (state == ENVELOPE_DONE && success && mta == NULL)
		*a = DSN_DELIVERED;
	else
		return 0;
	return 1;
}

int
send_notify_would_report(const struct send_msg *m, const size_t *rcpts,
    size_t n, const int *states, char *const *mta, const unsigned *rflags)
{
	const struct envelope *env = m->env;
	enum dsn_action a;
	size_t i, k;

	for (i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		int state = r->state;
		unsigned flags = r->flags;
		const char *rm = r->remote_mta;

		for (k = 0; k < n; k++)
			if (rcpts[k] == i) {
				state = states[k];
				flags |= rflags[k];
				rm = mta[k];
			}
		if (final_action(env, r, state, flags, rm, &a))
			return 1;
	}
	return 0;
}

int
send_notify(struct send_state *s, struct send_msg *m)
{
	struct envelope *env = m->env;
	static struct dsn_rcpt dr[MAX_REPORTED];
	size_t idx[MAX_REPORTED], n = 0, i;

	for (i = 0; i < env->nrcpts && n < MAX_REPORTED; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		enum dsn_action a;

		if (!final_action(env, r, r->state, r->flags, r->remote_mta, &a))
			continue;
		fill(&dr[n], r, a);
		idx[n++] = i;
	}
	if (n == 0)
		return 0;
	return report(s, m, dr, idx, n, ENVELOPE_FLAG_DSN_SENT);
}

int
send_notify_delay(struct send_state *s, struct send_msg *m, time_t now)
{
	struct envelope *env = m->env;
	static struct dsn_rcpt dr[MAX_REPORTED];
	size_t idx[MAX_REPORTED], n = 0, i;
	uint64_t until;
	int rc;

	if (m->delay_done || m->gone || s->delay_warning <= 0 ||
	    env->sender[0] == '\0' ||
	    now - (time_t)env->arrival < s->delay_warning || m->finish_after > now)
		return 0;
	until = env->arrival + (uint64_t)s->lifetime;
	for (i = 0; i < env->nrcpts && n < MAX_REPORTED; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];

		if (r->state != ENVELOPE_DEFERRED || !wants_delay(s, r))
			continue;
		fill(&dr[n], r, DSN_DELAYED);
		dr[n].will_retry_until = until;
		idx[n++] = i;
	}
	if (n == 0)
		return 0;   /* looked again after the next attempts */
	rc = report(s, m, dr, idx, n, SEND_FLAG_DELAY_SENT);
	if (rc < 0) {
		m->finish_after = now + 60;
		return -1;
	}
	m->delay_done = 1;
	return 0;
}
