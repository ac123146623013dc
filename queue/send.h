/* send.h: the parts of postern-send, the queue manager (HACKING.md "The
 * queue").  One process, one poll loop: it takes new messages from todo/
 * into env/, hands each recipient to postern-lspawn (local) or
 * postern-rspawn (remote) as a spawnproto request, appends each result to
 * state/ID (fsynced), retries temporary failures on a schedule, sends one
 * DSN per message when every recipient is final, and removes the message
 * only then. */
#ifndef POSTERN_SEND_H
#define POSTERN_SEND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "queuedir.h"

struct config;
struct envelope;
struct recipient_tables;

struct send_msg {
	char id[QUEUEDIR_ID_MAX + 1];
	struct envelope *env;
	time_t *next;            /* per recipient: earliest next attempt */
	unsigned char *busy;     /* per recipient: a request is in flight */
	size_t inflight;         /* requests in flight */
	time_t finish_after;     /* DSN/removal retry time after a failure */
	int gone;                /* env/ID vanished (held, deleted) */
	size_t index;            /* in send_state.msgs */
	struct send_msg *hnext;  /* hash chain */
};

struct send_job {
	uint32_t id;
	struct send_msg *msg;
	size_t rcpt[100];        /* SPAWN_MAX_RCPTS */
	size_t n;
	int remote;
	char domain[256];
	time_t started;
};

struct send_state {
	const struct config *conf;
	const char *queue;       /* queue directory */
	const char *hostname;
	int lspawn_fd, rspawn_fd;   /* -1 when absent */
	time_t *schedule;        /* retry waits */
	size_t nschedule;
	time_t lifetime, quota_lifetime, job_timeout;
	long conc_local, conc_remote, conc_domain;
	struct recipient_tables *tables;
	time_t tables_loaded;
	struct send_msg **msgs;
	struct send_msg *hash[4096];
	size_t nmsgs, msgs_cap;
	struct send_job *jobs;
	size_t njobs, jobs_cap;
	long local_active, remote_active;
	uint32_t next_job_id;
	char inject_program[4096];
};

/* send_store.c */
void send_store_recover(struct send_state *s);        /* start: env/ + todo/ + orphans */
void send_store_scan(struct send_state *s, int full); /* todo/ (full: env/ too) */
int send_store_record(struct send_state *s, struct send_msg *m,
    const size_t *rcpts, size_t n, const int *states, const unsigned *codes,
    char *const *status, char *const *diag, char *const *mta, unsigned flags);
void send_store_remove(struct send_state *s, struct send_msg *m);
void send_store_forget(struct send_state *s, struct send_msg *m);
struct send_msg *send_store_find(struct send_state *s, const char *id);
void send_msg_schedule(struct send_state *s, struct send_msg *m);

/* send_run.c */
void send_run_schedule(struct send_state *s);
void send_run_reply(struct send_state *s, const char *p, size_t len);
void send_run_timeouts(struct send_state *s);
void send_run_finish(struct send_state *s);
void send_run_maybe_finish(struct send_state *s, struct send_msg *m);
void send_run_reload_tables(struct send_state *s, int force);

/* send_notify.c: 0 done (a DSN was queued or none was needed), -1 retry */
int send_notify(struct send_state *s, struct send_msg *m);

#endif
