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
#include "recipient.h"

struct config;
struct envelope;

/* State record flag bits postern-send adds to envelope.h's
 * ENVELOPE_FLAG_DSN_SENT (the record's flags field is one byte; a bit once
 * set on a recipient is carried into its later records):
 * SEND_FLAG_RELAYED: delivered to a next hop that does not announce DSN
 *   (spawnproto SPAWN_RESULT_RELAYED): the success DSN says "relayed".
 * SEND_FLAG_DELAY_SENT: this recipient was in the message's delay DSN;
 *   a message with any recipient so marked gets no second one. */
#define SEND_FLAG_RELAYED     0x02u
#define SEND_FLAG_DELAY_SENT  0x04u

#define SEND_NEVER ((time_t)INT64_MAX)   /* time_t is 64 bits on our targets */

struct send_msg {
	char id[QUEUEDIR_ID_MAX + 1];
	struct envelope *env;
	time_t *next;            /* per recipient: earliest next attempt */
	unsigned char *busy;     /* per recipient: a request is in flight */
	size_t inflight;         /* requests in flight */
	time_t finish_after;     /* DSN/removal retry time after a failure */
	int gone;                /* env/ID vanished (held, deleted) */
	int delay_done;          /* delay DSN sent (or not wanted any more) */
	/* its files may go to QUEUE/spent when done: taken in by this
	 * process and every delivery attempt ended in a final answer.  (A
	 * delivery process this process lost track of - one of an earlier
	 * postern-send, one that timed out or died - or something it started
	 * may still read the message file: an inode it reads must not get a
	 * new message's bytes, so such files are unlinked.) */
	int reuse;
	/* not taken in yet: its first attempt runs from todo/ID (every
	 * recipient local; send_store_take_in before anything is written
	 * about it: no env/ID, no rename, for a message done at once) */
	int in_todo;
	size_t index;            /* in send_state.msgs */
	struct send_msg *hnext;  /* hash chain */
	/* scheduler (send_sched.c), per kind (SEND_LOCAL, SEND_REMOTE): due
	 * = earliest next[] of a recipient of that kind that can be tried
	 * (pending/deferred, not busy) */
	time_t due[2];
	size_t heap_pos[2];      /* index in send_state.heap[kind], SIZE_MAX if none */
};

#define SEND_LOCAL  0
#define SEND_REMOTE 1

struct send_heap {
	struct send_msg **h;     /* min-heap by due[kind] */
	size_t n, cap;
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
	struct recipient_cache tables;
	time_t tables_loaded;    /* when the cache was last looked at */
	time_t delay_warning;    /* delay_warning_time, 0 = no delay DSNs */
	int delay_notify_absent; /* delay DSNs also without NOTIFY */
	struct send_heap heap[2];   /* SEND_LOCAL, SEND_REMOTE */
	struct send_msg **msgs;
	struct send_msg *hash[4096];
	size_t nmsgs, msgs_cap;
	struct send_job *jobs;
	size_t njobs, jobs_cap;
	long local_active, remote_active;
	/* loading what an earlier postern-send left (send_store_recover):
	 * it may have started deliveries from todo/ too */
	int recovering;
	uint32_t next_job_id;
	char inject_program[4096];
};

/* send_store.c */
void send_store_recover(struct send_state *s);        /* start: env/ + todo/ + orphans */
void send_store_scan(struct send_state *s, int full); /* todo/ (full: env/ too) */
/* send_store_record: appends one state record per recipient rcpts[k].
 * flags != 0 makes the records markers (flags added, attempts and time
 * kept); rflags (NULL: none) adds per-recipient flags.  sync:
 * SEND_REC_SYNC appends and fdatasyncs, SEND_REC_NOSYNC only appends
 * (an fsynced record or the removal follows), SEND_REC_MEMORY changes
 * only the memory (the message is removed right after). */
#define SEND_REC_MEMORY  0
#define SEND_REC_SYNC    1
#define SEND_REC_NOSYNC  2
int send_store_record(struct send_state *s, struct send_msg *m,
    const size_t *rcpts, size_t n, const int *states, const unsigned *codes,
    char *const *status, char *const *diag, char *const *mta, unsigned flags,
    const unsigned *rflags, int sync);
void send_store_remove(struct send_state *s, struct send_msg *m);
/* send_store_take_in: a message still in todo/ (in_todo) into env/ and
 * mess/ (state records and reports need it there); 0 when it is there
 * (or was already), -1 logged (it stays in todo/, results in memory). */
int send_store_take_in(struct send_state *s, struct send_msg *m);
/* send_store_message_path: where m's message file is (todo/ or mess/). */
int send_store_message_path(struct send_state *s, const struct send_msg *m,
    char *path, size_t len);
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

int send_run_is_local(struct send_state *s, const char *addr);

/* send_sched.c: the due-time heaps.  send_sched_update recomputes m->due[]
 * and moves m in both heaps (call after next[], busy[] or a state
 * changed); send_sched_remove takes m out (before freeing it);
 * send_sched_pop takes out the message whose recipients of that kind are
 * due earliest, if that is at or before now (NULL otherwise). */
void send_sched_update(struct send_state *s, struct send_msg *m);
void send_sched_remove(struct send_state *s, struct send_msg *m);
struct send_msg *send_sched_pop(struct send_state *s, int kind, time_t now);
void send_sched_free(struct send_state *s);

/* send_notify.c: 0 done (a DSN was queued or none was needed), -1 retry */
int send_notify(struct send_state *s, struct send_msg *m);
/* Would the final report of m have a recipient, with the results of
 * rcpts[0..n-1] (states, remote MTAs, flags) applied? */
int send_notify_would_report(const struct send_msg *m, const size_t *rcpts,
    size_t n, const int *states, char *const *mta, const unsigned *rflags);
/* The delay DSN (RFC 3464 Action: delayed) of m, once per message, when
 * delay_warning_time has passed since arrival: 0 sent or not due, -1
 * retry later. */
int send_notify_delay(struct send_state *s, struct send_msg *m, time_t now);

#endif
