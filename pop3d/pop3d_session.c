/* pop3d_session.c: postern-pop3d's TRANSACTION state (RFC 1939 5, 7):
 * the command loop and STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP,
 * CAPA, QUIT (which enters the UPDATE state).  Replies come from the
 * table in pop3_reply.c; pipelined commands are answered in order and
 * output is flushed only when no further input is waiting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "pop3_uidl.h"
#include "pop3d.h"

#define RETR_CHUNK 65536
#define RETR_FLUSH (256 * 1024)

/* The message named by argument 0, or NULL after replying why. */
static struct pop3_msg *
message_arg(struct pop3_session *s, const struct pop3_cmd *c)
{
	uint32_t n = c->args[0].num;
	struct pop3_msg *m = pop3_maildrop_msg(&s->md, n);

	if (m == NULL) {
		pop3_reply(s->io, R_NO_MESSAGE, n);
		return NULL;
	}
	if (m->deleted) {
		pop3_reply(s->io, R_DELETED, n);
		return NULL;
	}
	return m;
}

static void
cmd_stat(struct pop3_session *s, const struct pop3_cmd *c)
{
	(void)c;
	pop3_reply(s->io, R_STAT, s->md.count - s->md.ndeleted,
	    (unsigned long long)(s->md.total - s->md.deleted_size));
}

static void
cmd_list(struct pop3_session *s, const struct pop3_cmd *c)
{
	struct buf b = BUF_INIT;
	uint32_t i;

	if (c->nargs == 1) {
		struct pop3_msg *m = message_arg(s, c);
		if (m != NULL)
			pop3_reply(s->io, R_LIST_ONE, c->args[0].num,
			    (unsigned long long)m->size);
		return;
	}
	pop3_reply(s->io, R_LIST_ALL, s->md.count - s->md.ndeleted,
	    (unsigned long long)(s->md.total - s->md.deleted_size));
	for (i = 0; i < s->md.count; i++) {
		if (s->md.msgs[i].deleted)
			continue;
		buf_printf(&b, "%u %llu\r\n", i + 1,
		    (unsigned long long)s->md.msgs[i].size);
		if (b.len >= RETR_CHUNK) {
			io_write(s->io, b.p, b.len);
			buf_reset(&b);
		}
	}
	buf_puts(&b, ".\r\n");
	io_write(s->io, b.p, b.len);
	buf_free(&b);
}

static void
cmd_uidl(struct pop3_session *s, const struct pop3_cmd *c)
{
	char uidl[POP3_UIDL_MAX + 1];
	struct buf b = BUF_INIT;
	uint32_t i;

	if (c->nargs == 1) {
		struct pop3_msg *m = message_arg(s, c);
		if (m != NULL) {
			pop3_maildrop_uidl(&s->md, m, uidl, sizeof(uidl));
			pop3_reply(s->io, R_UIDL_ONE, c->args[0].num, uidl);
		}
		return;
	}
	pop3_reply(s->io, R_UIDL_ALL);
	for (i = 0; i < s->md.count; i++) {
		if (s->md.msgs[i].deleted)
			continue;
		pop3_maildrop_uidl(&s->md, &s->md.msgs[i], uidl, sizeof(uidl));
		buf_printf(&b, "%u %s\r\n", i + 1, uidl);
		if (b.len >= RETR_CHUNK) {
			io_write(s->io, b.p, b.len);
			buf_reset(&b);
		}
	}
	buf_puts(&b, ".\r\n");
	io_write(s->io, b.p, b.len);
	buf_free(&b);
}

/* RETR and TOP: stream the file through the converter. */
static void
send_message(struct pop3_session *s, struct pop3_msg *m, uint32_t n,
    int top, uint32_t lines)
{
	struct pop3_stuff st;
	struct buf out = BUF_INIT;
	char *chunk;
	ssize_t r;
	int fd = pop3_maildrop_open_msg(&s->md, m);

	if (fd < 0) {
		log_warn("message_gone", "uid=%u error=\"%s\"", m->uid,
		    strerror(errno));
		pop3_reply(s->io, R_MESSAGE_GONE, n);
		return;
	}
	if (top)
		pop3_reply(s->io, R_TOP);
	else
		pop3_reply(s->io, R_RETR, (unsigned long long)m->size);
	pop3_stuff_init(&st, top, lines);
	chunk = xmalloc(RETR_CHUNK);
	for (;;) {
		r = read(fd, chunk, RETR_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* the reply has begun: the only honest end is to close */
			log_error("read", "uid=%u error=\"%s\"", m->uid,
			    strerror(errno));
			close(fd);
			free(chunk);
			buf_free(&out);
			io_flush(s->io);
			_exit(111);
		}
		if (r == 0)
			break;
		if (pop3_stuff_append(&st, chunk, (size_t)r, &out) ||
		    out.len >= RETR_FLUSH) {
			io_write(s->io, out.p, out.len);
			buf_reset(&out);
			if (st.done)
				break;
		}
	}
	close(fd);
	free(chunk);
	pop3_stuff_finish(&st, &out);
	io_write(s->io, out.p, out.len);
	buf_free(&out);
	m->touched = 1;
	if (!top)
		m->retrieved = 1;
}

static void
cmd_retr(struct pop3_session *s, const struct pop3_cmd *c)
{
	struct pop3_msg *m = message_arg(s, c);

	if (m != NULL)
		send_message(s, m, c->args[0].num, 0, 0);
}

static void
cmd_top(struct pop3_session *s, const struct pop3_cmd *c)
{
	struct pop3_msg *m = message_arg(s, c);

	if (m != NULL)
		send_message(s, m, c->args[0].num, 1, c->args[1].num);
}

static void
cmd_dele(struct pop3_session *s, const struct pop3_cmd *c)
{
	struct pop3_msg *m = message_arg(s, c);

	if (m == NULL)
		return;
	/* RFC 1939 6: marked now, removed only in the UPDATE state */
	m->deleted = 1;
	s->md.ndeleted++;
	s->md.deleted_size += m->size;
	pop3_reply(s->io, R_DELE, c->args[0].num);
}

static void
cmd_rset(struct pop3_session *s, const struct pop3_cmd *c)
{
	uint32_t i;

	(void)c;
	/* RFC 1939 5: the deletion marks go; as in Dovecot, so does the
	 * \Seen that RETR would set at QUIT (a client that RSETs wants the
	 * maildrop left as it was) */
	for (i = 0; i < s->md.count; i++) {
		s->md.msgs[i].deleted = 0;
		s->md.msgs[i].retrieved = 0;
	}
	s->md.ndeleted = 0;
	s->md.deleted_size = 0;
	pop3_reply(s->io, R_RSET, s->md.count,
	    (unsigned long long)s->md.total);
}

static void
cmd_noop(struct pop3_session *s, const struct pop3_cmd *c)
{
	(void)c;
	pop3_reply(s->io, R_NOOP);
}

static void
cmd_capa(struct pop3_session *s, const struct pop3_cmd *c)
{
	struct buf b = BUF_INIT;

	(void)c;
	pop3_reply(s->io, R_CAPA);
	pop3_capa_write(&b, 0);
	buf_puts(&b, ".\r\n");
	io_write(s->io, b.p, b.len);
	buf_free(&b);
}

/* QUIT: the UPDATE state (RFC 1939 6). */
static void
cmd_quit(struct pop3_session *s, const struct pop3_cmd *c)
{
	unsigned removed = 0;

	(void)c;
	if (pop3_maildrop_commit(&s->md, &removed) < 0) {
		log_error("update_failed", "user=%s deleted=%u removed=%u",
		    s->user, s->md.ndeleted, removed);
		pop3_reply(s->io, R_QUIT_FAILED);
		return;
	}
	log_info("logout", "user=%s deleted=%u", s->user, removed);
	if (removed > 0)
		pop3_reply(s->io, R_QUIT_DELETED, removed);
	else
		pop3_reply(s->io, R_QUIT);
}

typedef void (*pop3_handler)(struct pop3_session *, const struct pop3_cmd *);

static const struct {
	enum pop3_cmd_id id;
	pop3_handler fn;
} handlers[] = {
	{ POP3_CMD_STAT, cmd_stat },
	{ POP3_CMD_LIST, cmd_list },
	{ POP3_CMD_UIDL, cmd_uidl },
	{ POP3_CMD_RETR, cmd_retr },
	{ POP3_CMD_TOP, cmd_top },
	{ POP3_CMD_DELE, cmd_dele },
	{ POP3_CMD_RSET, cmd_rset },
	{ POP3_CMD_NOOP, cmd_noop },
	{ POP3_CMD_CAPA, cmd_capa },
	{ POP3_CMD_QUIT, cmd_quit },
};

static int
bad_command(struct pop3_session *s, enum pop3_reply_id id)
{
	pop3_reply(s->io, id);
	if (++s->bad_commands >= s->max_bad_commands) {
		pop3_reply(s->io, R_BYE_ERRORS);
		io_flush(s->io);
		return -1;
	}
	return 0;
}

int
pop3_session_run(struct pop3_session *s)
{
	for (;;) {
		struct pop3_cmd c;
		const char *line;
		size_t len, i;
		int r;

		/* pipelining (RFC 2449 6.6): answers go out when the client
		 * has nothing more queued */
		if (io_flush_if_idle(s->io) != IO_OK)
			return 0;
		if (io_pending(s->io) == 0 &&
		    io_wait_input(s->io, s->idle_timeout_ms) == 0) {
			pop3_reply(s->io, R_BYE_TIMEOUT);
			io_flush(s->io);
			log_info("timeout", "user=%s", s->user);
			return 0;
		}
		r = io_getline(s->io, POP3_LINE_MAX, &line, &len);
		if (r == IO_TOOLONG) {
			if (bad_command(s, R_LINE_TOO_LONG) < 0)
				return 0;
			continue;
		}
		if (r == IO_TIMEOUT) {
			pop3_reply(s->io, R_BYE_TIMEOUT);
			io_flush(s->io);
			return 0;
		}
		if (r != IO_OK || len == 0 || line[len - 1] != '\n') {
			/* EOF (or a last line without LF): RFC 1939 6, no
			 * UPDATE state without QUIT */
			log_info("disconnect", "user=%s", s->user);
			return 0;
		}
		switch (pop3_parse(line, len, &c)) {
		case POP3_PARSE_OK:
			break;
		case POP3_PARSE_UNKNOWN:
		case POP3_PARSE_EMPTY:
			if (bad_command(s, R_UNKNOWN) < 0)
				return 0;
			continue;
		case POP3_PARSE_BADCHAR:
			if (bad_command(s, R_BAD_CHAR) < 0)
				return 0;
			continue;
		case POP3_PARSE_BADNUMBER:
			if (bad_command(s, R_BAD_NUMBER) < 0)
				return 0;
			continue;
		default:
			if (c.def != NULL &&
			    !(c.def->states & POP3_STATE_TRANSACTION)) {
				if (bad_command(s, R_WRONG_STATE) < 0)
					return 0;
			} else if (bad_command(s, R_BAD_ARGS) < 0)
				return 0;
			continue;
		}
		if (!(c.def->states & POP3_STATE_TRANSACTION)) {
			if (bad_command(s, R_WRONG_STATE) < 0)
				return 0;
			continue;
		}
		for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
			if (handlers[i].id == c.def->id)
				break;
		if (i == sizeof(handlers) / sizeof(handlers[0])) {
			if (bad_command(s, R_WRONG_STATE) < 0)
				return 0;
			continue;
		}
		handlers[i].fn(s, &c);
		if (c.def->id == POP3_CMD_QUIT) {
			io_flush(s->io);
			return 0;
		}
	}
}
