/* send_run.c: postern-send's deliveries: which recipient goes when
 * (retry schedule, local/remote/per-domain concurrency), the spawnproto
 * requests to lspawn and rspawn, their replies turned into durable state
 * records, expiry, and the end of a message (DSN, removal). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "queuedir.h"
#include "recipient.h"
#include "send.h"
#include "spawnproto.h"

/* The tables come from a cache that reads the files again only when one
 * changed; looked at no more than once a second (and when forced).  While
 * they cannot be loaded nothing is started. */
void
send_run_reload_tables(struct send_state *s, int force)
{
	char err[256];
	time_t now = time(NULL);
	int had = s->tables.t != NULL;

	if (!force && had && now == s->tables_loaded)
		return;
	s->tables_loaded = now;
	if (recipient_tables_cached(&s->tables, s->conf, err, sizeof(err)) == NULL &&
	    (had || force))
		log_error("tables", "error=\"%s\" note=\"deliveries wait\"", err);
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : NULL;
}

/* (without tables - nothing is started then - everything counts as local) */
int
send_run_is_local(struct send_state *s, const char *addr)
{
	const char *d = domain_of(addr);

	if (d == NULL || s->tables.t == NULL)
		return 1;   /* "postmaster" */
	return recipient_domain_is_local(s->tables.t, d, strlen(d));
}

static long
domain_active(struct send_state *s, const char *domain)
{
	long n = 0;
	size_t i;

	for (i = 0; i < s->njobs; i++)
		if (s->jobs[i].remote && strcasecmp(s->jobs[i].domain, domain) == 0)
			n++;
	return n;
}

static void
start_job(struct send_state *s, struct send_msg *m, const size_t *rcpts,
    size_t n, int remote, const char *domain)
{
	char path[QUEUEDIR_PATH_MAX];
	struct spawn_request *req;
	struct send_job *j;
	struct buf rec = BUF_INIT;
	int fd, sock = remote ? s->rspawn_fd : s->lspawn_fd;
	size_t k;

	if (send_store_message_path(s, m, path, sizeof(path)) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_error("open-message", "id=%s error=\"%m\"", m->id);
		m->gone = 1;
		return;
	}
	req = spawn_request_new();
	req->id = ++s->next_job_id;
	spawn_set(&req->queue_id, m->id);
	spawn_set(&req->sender, m->env->sender);
	spawn_set(&req->envid, m->env->envid);
	req->ret = m->env->ret;
	req->body = m->env->body;
	req->smtputf8 = m->env->smtputf8;
	req->size = m->env->size;
	for (k = 0; k < n; k++) {
		const struct envelope_rcpt *r = &m->env->rcpts[rcpts[k]];

		spawn_request_add_rcpt(req, r->addr, r->notify, r->orcpt_type, r->orcpt);
	}
	if (spawn_request_encode(req, &rec) < 0) {
		log_error("request", "id=%s error=\"cannot encode\"", m->id);
		close(fd);
		spawn_request_free(req);
		return;
	}
	if (spawn_send(sock, rec.p, rec.len, fd) < 0) {
		log_error("spawner-gone", "remote=%d error=\"%m\"", remote);
		exit(111);   /* the supervisor restarts send and the spawners */
	}
	close(fd);
	if (s->njobs == s->jobs_cap) {
		s->jobs_cap = s->jobs_cap ? s->jobs_cap * 2 : 64;
		s->jobs = xreallocarray(s->jobs, s->jobs_cap, sizeof(*s->jobs));
	}
	j = &s->jobs[s->njobs++];
	memset(j, 0, sizeof(*j));
	j->id = req->id;
	j->msg = m;
	j->n = n;
	memcpy(j->rcpt, rcpts, n * sizeof(*rcpts));
	j->remote = remote;
	snprintf(j->domain, sizeof(j->domain), "%s", domain ? domain : "");
	j->started = time(NULL);
	for (k = 0; k < n; k++)
		m->busy[rcpts[k]] = 1;
	m->inflight++;
	if (remote)
		s->remote_active++;
	else
		s->local_active++;
	spawn_request_free(req);
	buf_free(&rec);
}

static int
eligible(const struct send_msg *m, size_t i, time_t now)
{
	const struct envelope_rcpt *r = &m->env->rcpts[i];

	return (r->state == ENVELOPE_PENDING || r->state == ENVELOPE_DEFERRED) &&
	    !m->busy[i] && m->next[i] <= now;
}

/* Start what concurrency allows for the due recipients of m of one
 * kind. */
static void
run_msg(struct send_state *s, struct send_msg *m, int kind, time_t now)
{
	size_t i;

	for (i = 0; i < m->env->nrcpts && !m->gone; i++) {
		const char *addr = m->env->rcpts[i].addr, *dom;
		size_t batch[SPAWN_MAX_RCPTS], nb = 0, k;

		if (!eligible(m, i, now))
			continue;
		if (send_run_is_local(s, addr)) {
			if (kind != SEND_LOCAL || s->lspawn_fd < 0 ||
			    s->local_active >= s->conc_local)
				continue;
			batch[0] = i;
			start_job(s, m, batch, 1, 0, NULL);
			continue;
		}
		dom = domain_of(addr);
		if (kind != SEND_REMOTE || s->rspawn_fd < 0 ||
		    s->remote_active >= s->conc_remote ||
		    domain_active(s, dom) >= s->conc_domain)
			continue;
		/* every eligible recipient of this domain in one request */
		for (k = i; k < m->env->nrcpts && nb < SPAWN_MAX_RCPTS; k++) {
			const char *d2 = domain_of(m->env->rcpts[k].addr);

			if (eligible(m, k, now) && d2 && strcasecmp(d2, dom) == 0)
				batch[nb++] = k;
		}
		start_job(s, m, batch, nb, 1, dom);
	}
}

/* One pass, per kind with a free slot: pops the messages with due
 * recipients of that kind (the cost follows the due work, not the queue),
 * each at most once; they go back into the heaps, with their new due
 * times, when the pass is over.  A message whose due recipients all wait
 * for a per-domain slot is popped again at the next pass. */
void
send_run_schedule(struct send_state *s)
{
	time_t now = time(NULL);
	struct send_msg **done = NULL, *m;
	size_t ndone = 0, cap = 0, i;
	int kind;

	send_run_reload_tables(s, 0);
	if (s->tables.t == NULL)
		return;
	for (kind = SEND_LOCAL; kind <= SEND_REMOTE; kind++)
		for (;;) {
			if (kind == SEND_LOCAL ? (s->lspawn_fd < 0 ||
			    s->local_active >= s->conc_local) : (s->rspawn_fd < 0 ||
			    s->remote_active >= s->conc_remote))
				break;
			if ((m = send_sched_pop(s, kind, now)) == NULL)
				break;
			run_msg(s, m, kind, now);
			if (ndone == cap) {
				cap = cap ? cap * 2 : 16;
				done = xreallocarray(done, cap, sizeof(*done));
			}
			done[ndone++] = m;
		}
	for (i = 0; i < ndone; i++)
		send_sched_update(s, done[i]);
	free(done);
}

/* Results of job j (rep may be NULL: all temporary with why). */
static void
apply(struct send_state *s, size_t ji, const struct spawn_reply *rep,
    const char *why)
{
	struct send_job j = s->jobs[ji];
	struct send_msg *m = j.msg;
	int states[SPAWN_MAX_RCPTS];
	unsigned codes[SPAWN_MAX_RCPTS];
	char *status[SPAWN_MAX_RCPTS], *diag[SPAWN_MAX_RCPTS], *mta[SPAWN_MAX_RCPTS];
	char *owned[SPAWN_MAX_RCPTS];
	unsigned rflags[SPAWN_MAX_RCPTS];
	time_t now = time(NULL);
	size_t k;
	int final = 1;

	s->jobs[ji] = s->jobs[--s->njobs];
	if (j.remote)
		s->remote_active--;
	else
		s->local_active--;
	m->inflight--;
	for (k = 0; k < j.n; k++) {
		const struct spawn_result *r = rep && k < rep->nresults ? &rep->results[k] : NULL;
		const struct envelope_rcpt *er = &m->env->rcpts[j.rcpt[k]];
		unsigned cls = r ? r->cls : 4;

		/* a temporary failure may be a delivery process that died or
		 * was given up while something it started still reads: this
		 * message's files are unlinked, never reused (send.h) */
		if (cls != 2 && cls != 5)
			m->reuse = 0;
		owned[k] = NULL;
		m->busy[j.rcpt[k]] = 0;
		codes[k] = r ? r->smtp_code : 0;
		status[k] = r ? r->dsn_status : (char *)"4.3.0";
		diag[k] = r ? r->diag : (char *)why;
		mta[k] = r ? r->remote_mta : NULL;
		rflags[k] = r && spawn_result_relayed(r) ? SEND_FLAG_RELAYED : 0;
		states[k] = cls == 2 ? ENVELOPE_DONE : cls == 5 ? ENVELOPE_FAILED :
		    ENVELOPE_DEFERRED;
		if (states[k] == ENVELOPE_DEFERRED) {
			int quota = status[k] && strcmp(status[k], "4.2.2") == 0;

			if (quota && now - (time_t)m->env->arrival >= s->quota_lifetime) {
				states[k] = ENVELOPE_FAILED;
				status[k] = (char *)"5.2.2";
			} else if (now - (time_t)m->env->arrival >= s->lifetime) {
				/* RFC 3463 4.4.7: delivery time expired */
				states[k] = ENVELOPE_FAILED;
				if (status[k] == NULL)
					status[k] = (char *)"4.4.7";
			}
			if (states[k] == ENVELOPE_FAILED) {
				struct buf b = BUF_INIT;

				buf_printf(&b, "giving up after %u attempts: %s",
				    er->attempts + 1, diag[k] ? diag[k] : "temporary failure");
				owned[k] = buf_steal(&b, NULL);
				diag[k] = owned[k];
			}
		}
		log_info("result", "id=%s rcpt=%s state=%s status=%s attempts=%u diag=\"%s\"",
		    m->id, er->addr, states[k] == ENVELOPE_DONE ?
		    (rflags[k] ? "relayed" : "delivered") :
		    states[k] == ENVELOPE_FAILED ? "failed" : "deferred",
		    status[k] ? status[k] : "-", er->attempts + 1, diag[k] ? diag[k] : "");
	}
	/* When these results make every recipient final, either the message
	 * is removed at once (env/ID unlinked first): the records need not
	 * be written at all; or a DSN is due and its fsynced DSN_SENT marker
	 * follows (covering these records too): they need no fdatasync of
	 * their own.  A crash before either reaches the disk means at most a
	 * repeated delivery (as in Postfix and qmail), never a lost one. */
	if (m->inflight > 0 || m->gone || m->finish_after > now)
		final = 0;
	for (k = 0; final && k < m->env->nrcpts; k++) {
		size_t q;
		int st = m->env->rcpts[k].state;

		for (q = 0; q < j.n; q++)
			if (j.rcpt[q] == k)
				st = states[q];
		if (st != ENVELOPE_DONE && st != ENVELOPE_FAILED)
			final = 0;
	}
	send_store_record(s, m, j.rcpt, j.n, states, codes, status, diag, mta, 0,
	    rflags, !final ? SEND_REC_SYNC :
	    send_notify_would_report(m, j.rcpt, j.n, states, mta, rflags) ?
	    SEND_REC_NOSYNC : SEND_REC_MEMORY);
	for (k = 0; k < j.n; k++) {
		free(owned[k]);
		if (states[k] == ENVELOPE_DEFERRED)
			m->next[j.rcpt[k]] = now + (s->nschedule ?
			    s->schedule[m->env->rcpts[j.rcpt[k]].attempts - 1 < s->nschedule ?
			    m->env->rcpts[j.rcpt[k]].attempts - 1 : s->nschedule - 1] : 300);
	}
	if (m->gone && m->inflight == 0) {
		send_store_forget(s, m);
		return;
	}
	send_sched_update(s, m);
	if (!final)
		send_notify_delay(s, m, now);
	send_run_maybe_finish(s, m);
}

void
send_run_reply(struct send_state *s, const char *p, size_t len)
{
	struct spawn_reply *rep;
	char err[128];
	size_t i;

	if (spawn_reply_parse(p, len, &rep, err, sizeof(err)) < 0) {
		log_error("bad-reply", "error=\"%s\"", err);
		exit(111);
	}
	for (i = 0; i < s->njobs; i++)
		if (s->jobs[i].id == rep->id) {
			apply(s, i, rep, NULL);
			break;
		}
	spawn_reply_free(rep);
}

void
send_run_timeouts(struct send_state *s)
{
	time_t now = time(NULL);
	size_t i;

	for (i = s->njobs; i-- > 0;)
		if (now - s->jobs[i].started > s->job_timeout)
			apply(s, i, NULL, "delivery timed out");
}

void
send_run_maybe_finish(struct send_state *s, struct send_msg *m)
{
	size_t i;

	if (m->inflight > 0 || m->gone || m->finish_after > time(NULL))
		return;
	for (i = 0; i < m->env->nrcpts; i++)
		if (m->env->rcpts[i].state != ENVELOPE_DONE &&
		    m->env->rcpts[i].state != ENVELOPE_FAILED)
			return;
	if (send_notify(s, m) < 0) {
		m->finish_after = time(NULL) + 60;
		return;
	}
	send_store_remove(s, m);
}

void
send_run_finish(struct send_state *s)
{
	time_t now = time(NULL);
	size_t i;

	for (i = s->nmsgs; i-- > 0;)
		if (i < s->nmsgs) {
			send_notify_delay(s, s->msgs[i], now);
			send_run_maybe_finish(s, s->msgs[i]);
		}
}
