/* smtp_transfer.c: DATA and BDAT: the message streams through the state
 * machine of smtp_data.c into postern-queue (common/queue_inject.h: a
 * writer of the pool or a process) as it arrives, after our Received:
 * header.  A bad message (bare CR/LF, NUL,
 * long line, too big) or a dropped connection aborts the injection, so
 * nothing is queued; 250 comes only after postern-queue said the message
 * is durable, and names its queue id. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "envelope.h"
#include "io.h"
#include "log.h"
#include "queue_inject.h"
#include "smtpd.h"

#define CHUNK 16384

/* Start postern-queue and send the Received: header.  0 or -1. */
static int
begin_message(struct smtp_session *s, int bdat)
{
	char err[256];
	struct buf hdr = BUF_INIT;

	smtp_data_init(&s->data, bdat, s->max_line, s->max_size);
	buf_reset(&s->out);
	s->inject_failed = 0;
	queue_inject_reap_pending(0);
	if (s->inject_ready != NULL) {
		s->inject = s->inject_ready;
		s->inject_ready = NULL;
	} else
		s->inject = queue_inject_start_via(s->queue_program,
		    s->queue_socket[0] != '\0' ? s->queue_socket : NULL,
		    s->queue_timeout_ms, err, sizeof(err));
	if (s->inject == NULL) {
		log_error("queue", "reason=\"%s\" program=%s", err, s->queue_program);
		return -1;
	}
	smtp_received(s, &hdr);
	if (queue_inject_write(s->inject, hdr.p, hdr.len) < 0)
		s->inject_failed = 1;
	buf_free(&hdr);
	return 0;
}

void
smtp_queue_prestart(struct smtp_session *s)
{
	/* with the writers no process is started for a message (most of
	 * them: see common/queue_inject.h) */
	if (s->inject_ready == NULL && s->inject == NULL && s->queue_socket[0] == '\0')
		s->inject_ready = queue_inject_start(s->queue_program,
		    s->queue_timeout_ms, NULL, 0);
}

void
smtp_queue_release(struct smtp_session *s)
{
	if (s->inject_ready != NULL) {
		queue_inject_abort(s->inject_ready);
		s->inject_ready = NULL;
	}
	queue_inject_reap_pending(1);
}

/* Pass what the state machine produced on to postern-queue. */
static void
pass_on(struct smtp_session *s)
{
	if (s->out.len == 0)
		return;
	if (s->data.flags == 0 && !s->inject_failed && s->inject != NULL &&
	    queue_inject_write(s->inject, s->out.p, s->out.len) < 0)
		s->inject_failed = 1;
	buf_reset(&s->out);
}

/* The end of a message: refuse it or commit it, answer, reset. */
static void
end_message(struct smtp_session *s)
{
	char id[128], err[256];
	enum queue_inject_result r;
	sigset_t block, old;
	unsigned f = s->data.flags;

	if (f != 0) {
		enum smtp_reply_id rid = (f & SMTP_DATA_BARE) ? RP_DATA_BARE :
		    (f & SMTP_DATA_NUL) ? RP_DATA_NUL :
		    (f & SMTP_DATA_BIG) ? RP_TOO_BIG : RP_DATA_LONG_LINE;
		log_info("message-refused", "reason=%s size=%llu",
		    (f & SMTP_DATA_BARE) ? "bare-cr-lf" : (f & SMTP_DATA_NUL) ? "nul" :
		    (f & SMTP_DATA_BIG) ? "too-big" : "long-line",
		    (unsigned long long)s->data.size);
		smtp_reset_transaction(s);
		if (rid == RP_TOO_BIG)
			smtp_reply(s, rid, NULL);
		else
			smtp_error(s, rid, NULL);
		return;
	}
	if (s->inject == NULL) {
		/* postern-queue did not start (logged in begin_message) */
		smtp_reset_transaction(s);
		smtp_reply(s, RP_TEMP_QUEUE, NULL);
		io_flush(s->io);
		return;
	}
	/* From here the outcome must reach the client: a SIGTERM waits. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* the 250 follows the id line, not postern-queue's exit */
	queue_inject_early(s->inject);
	r = queue_inject_finish(s->inject, s->env, id, sizeof(id), err, sizeof(err));
	s->inject = NULL;
	switch (r) {
	case QUEUE_INJECT_OK:
		s->messages++;
		log_info("queued", "id=%s size=%llu rcpts=%zu", id,
		    (unsigned long long)s->data.size, s->env->nrcpts);
		smtp_reply(s, RP_QUEUED, id);
		break;
	case QUEUE_INJECT_PERMFAIL:
		log_warn("queue-refused", "reason=\"%s\"", err);
		smtp_reply(s, RP_QUEUE_REFUSED, NULL);
		break;
	default:
		log_warn("queue-failed", "reason=\"%s\"", err);
		smtp_reply(s, RP_TEMP_QUEUE, NULL);
		break;
	}
	smtp_reset_transaction(s);
	io_flush(s->io);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Lost connection or timeout in the middle of a message. */
static void
data_lost(struct smtp_session *s, ssize_t r, const char *phase)
{
	if (r == IO_TIMEOUT) {
		smtp_reply(s, RP_TIMEOUT, NULL);
		io_flush(s->io);
	}
	log_info("disconnect", "reason=%s phase=%s", r == IO_TIMEOUT ? "timeout" : "eof",
	    phase);
	smtp_reset_transaction(s);
	s->quit = 1;
}

void
smtp_cmd_data(struct smtp_session *s, const struct smtp_cmd *c)
{
	char chunk[CHUNK];

	if (c->has_arg) {
		smtp_error(s, RP_SYNTAX, "DATA takes no argument");
		return;
	}
	if (!s->in_mail) {
		smtp_error(s, RP_BAD_SEQ, "send MAIL first");
		return;
	}
	if (s->bdat_active || s->bdat_failed) {
		smtp_error(s, RP_BAD_SEQ, "DATA after BDAT");
		return;
	}
	if (s->env->nrcpts == 0) {
		smtp_error(s, RP_NO_RCPTS, NULL);
		return;
	}
	/* 354 first: postern-queue starts while the client sends, so its
	 * start-up overlaps the transfer instead of delaying the 354.  If it
	 * cannot start, the data is read (and dropped) and the answer after
	 * the final dot is 451. */
	smtp_reply(s, RP_DATA_GO, NULL);
	if (io_flush(s->io) != IO_OK) {
		smtp_reset_transaction(s);
		s->quit = 1;
		return;
	}
	(void)begin_message(s, 0);
	io_set_timeout(s->io, s->data_timeout_ms);
	while (!s->data.done) {
		ssize_t n = io_read(s->io, chunk, sizeof(chunk));
		size_t used;

		if (n <= 0) {
			data_lost(s, n, "data");
			return;
		}
		used = smtp_data_feed(&s->data, chunk, (size_t)n, &s->out);
		pass_on(s);
		if (used < (size_t)n)
			io_unread(s->io, chunk + used, (size_t)n - used);
	}
	end_message(s);
}

/* Read and drop n octets (a BDAT chunk that cannot be used).  0 or -1. */
static int
discard(struct smtp_session *s, uint64_t n)
{
	char chunk[CHUNK];

	io_set_timeout(s->io, s->data_timeout_ms);
	while (n > 0) {
		ssize_t r = io_read(s->io, chunk, n < sizeof(chunk) ? (size_t)n : sizeof(chunk));
		if (r <= 0) {
			data_lost(s, r, "bdat");
			return -1;
		}
		n -= (uint64_t)r;
	}
	return 0;
}

void
smtp_cmd_bdat(struct smtp_session *s, const struct smtp_cmd *c)
{
	char chunk[CHUNK], num[32];
	uint64_t n, left;
	int last;

	if (smtp_cmd_bdat_arg(c->arg, c->arglen, &n, &last) < 0) {
		/* The size is unknown: the chunk would be read as commands. */
		smtp_reply(s, RP_SYNTAX, "BDAT size [LAST]");
		s->quit = 1;
		return;
	}
	if (n > s->max_size + 1024 * 1024 ||
	    (s->bdat_active && s->data.size + n > s->max_size + 1024 * 1024)) {
		/* Far over the limit: refuse and close rather than read it. */
		smtp_reply(s, RP_TOO_BIG, NULL);
		smtp_reset_transaction(s);
		s->quit = 1;
		return;
	}
	if (!s->in_mail || s->env->nrcpts == 0 || s->bdat_failed) {
		if (discard(s, n) < 0)
			return;
		smtp_error(s, !s->in_mail ? RP_BAD_SEQ : s->bdat_failed ? RP_BDAT_FAILED :
		    RP_NO_RCPTS, "send MAIL first");
		if (last && s->bdat_failed)
			smtp_reset_transaction(s);
		return;
	}
	if (!s->bdat_active) {
		if (begin_message(s, 1) < 0) {
			if (discard(s, n) < 0)
				return;
			s->bdat_failed = 1;
			smtp_reply(s, RP_TEMP_QUEUE, NULL);
			return;
		}
		s->bdat_active = 1;
	}
	io_set_timeout(s->io, s->data_timeout_ms);
	for (left = n; left > 0;) {
		ssize_t r = io_read(s->io, chunk, left < sizeof(chunk) ? (size_t)left : sizeof(chunk));
		if (r <= 0) {
			data_lost(s, r, "bdat");
			return;
		}
		smtp_data_feed(&s->data, chunk, (size_t)r, &s->out);
		pass_on(s);
		left -= (uint64_t)r;
	}
	if (last) {
		smtp_data_finish(&s->data);
		end_message(s);
		return;
	}
	if (s->data.flags != 0) {
		/* The transaction failed; later chunks are read and refused. */
		unsigned f = s->data.flags;
		if (s->inject != NULL) {
			queue_inject_abort(s->inject);
			s->inject = NULL;
		}
		s->bdat_active = 0;
		s->bdat_failed = 1;
		smtp_error(s, (f & SMTP_DATA_BARE) ? RP_DATA_BARE : (f & SMTP_DATA_NUL) ?
		    RP_DATA_NUL : (f & SMTP_DATA_BIG) ? RP_TOO_BIG : RP_DATA_LONG_LINE, NULL);
		return;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	smtp_reply(s, RP_BDAT_OK, num);
}
