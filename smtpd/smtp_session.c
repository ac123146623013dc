/* smtp_session.c: the command loop of one SMTP session: read a line with
 * the command timeout, parse, dispatch through the verb table, count
 * errors, answer; replies are flushed only when no pipelined input waits
 * (RFC 2920). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "io.h"
#include "log.h"
#include "queue_inject.h"
#include "smtpd.h"

void
smtp_reply(struct smtp_session *s, enum smtp_reply_id id, const char *arg)
{
	struct buf b = BUF_INIT;

	smtp_reply_format(&b, id, arg, 0);
	io_write(s->io, b.p, b.len);
	buf_free(&b);
}

/* A reply to an erroneous command: counts toward smtpd_max_errors. */
void
smtp_error(struct smtp_session *s, enum smtp_reply_id id, const char *arg)
{
	smtp_reply(s, id, arg);
	s->errors++;
	if (s->max_errors > 0 && s->errors >= s->max_errors) {
		smtp_reply(s, RP_TOO_MANY_ERRORS, NULL);
		log_info("too-many-errors", "errors=%u", s->errors);
		s->quit = 1;
	}
}

void
smtp_reset_transaction(struct smtp_session *s)
{
	if (s->inject != NULL) {
		queue_inject_abort(s->inject);
		s->inject = NULL;
	}
	if (s->env != NULL) {
		envelope_free(s->env);
		s->env = NULL;
	}
	s->in_mail = 0;
	s->bdat_active = 0;
	s->bdat_failed = 0;
	s->inject_failed = 0;
	buf_reset(&s->out);
}

void
smtp_cmd_rset(struct smtp_session *s, const struct smtp_cmd *c)
{
	if (c->has_arg) {
		smtp_error(s, RP_SYNTAX, "RSET takes no argument");
		return;
	}
	smtp_reset_transaction(s);
	smtp_reply(s, RP_RESET, NULL);
}

void
smtp_cmd_noop(struct smtp_session *s, const struct smtp_cmd *c)
{
	smtp_reply(s, RP_OK, NULL);
}

void
smtp_cmd_quit(struct smtp_session *s, const struct smtp_cmd *c)
{
	smtp_reply(s, RP_BYE, NULL);
	s->quit = 1;
}

void
smtp_cmd_vrfy(struct smtp_session *s, const struct smtp_cmd *c)
{
	/* Never reveals whether a user exists. */
	if (!c->has_arg) {
		smtp_error(s, RP_SYNTAX, "VRFY needs an argument");
		return;
	}
	smtp_reply(s, RP_VRFY, NULL);
}

void
smtp_cmd_help(struct smtp_session *s, const struct smtp_cmd *c)
{
	smtp_reply(s, RP_HELP, NULL);
}

/* The command table: verb -> handler (STYLE.md: the index of the program). */
static const struct {
	enum smtp_verb verb;
	void (*fn)(struct smtp_session *, const struct smtp_cmd *);
} handlers[] = {
	{ V_HELO, smtp_cmd_helo },
	{ V_EHLO, smtp_cmd_ehlo },
	{ V_MAIL, smtp_cmd_mail },
	{ V_RCPT, smtp_cmd_rcpt },
	{ V_DATA, smtp_cmd_data },
	{ V_BDAT, smtp_cmd_bdat },
	{ V_RSET, smtp_cmd_rset },
	{ V_NOOP, smtp_cmd_noop },
	{ V_QUIT, smtp_cmd_quit },
	{ V_VRFY, smtp_cmd_vrfy },
	{ V_HELP, smtp_cmd_help },
	{ V_STARTTLS, smtp_cmd_starttls },
	{ V_AUTH, smtp_cmd_auth },
};

void
smtp_dispatch(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (handlers[i].verb == cmd->verb) {
			handlers[i].fn(s, cmd);
			return;
		}
	}
	smtp_error(s, RP_UNKNOWN_CMD, NULL);
}

int
smtp_session_run(struct smtp_session *s)
{
	while (!s->quit) {
		const char *line;
		size_t len;
		struct smtp_cmd cmd;
		int r;

		if (io_flush_if_idle(s->io) != IO_OK)
			return 1;
		io_set_timeout(s->io, s->cmd_timeout_ms);
		r = io_getline(s->io, SMTP_LINE_MAX + 2, &line, &len);
		if (r == IO_EOF || r == IO_ERROR) {
			log_info("disconnect", "reason=%s", r == IO_EOF ? "eof" : "error");
			return 0;
		}
		if (r == IO_TIMEOUT) {
			smtp_reply(s, RP_TIMEOUT, NULL);
			io_flush(s->io);
			log_info("timeout", "phase=command");
			return 0;
		}
		if (r == IO_TOOLONG) {
			smtp_error(s, RP_LINE_TOO_LONG, NULL);
			continue;
		}
		if (s->log_commands)
			log_command("command", line, len, 0);
		switch (smtp_cmd_parse(line, len, &cmd)) {
		case SMTP_CMD_OK:
			break;
		default:
			/* A partial line at EOF ends the session; anything
			 * else with a lone CR/LF/NUL is refused. */
			if (len == 0 || line[len - 1] != '\n') {
				log_info("disconnect", "reason=eof-mid-line");
				return 0;
			}
			smtp_error(s, RP_BARE_CRLF_CMD, NULL);
			continue;
		}
		smtp_dispatch(s, &cmd);
	}
	io_flush(s->io);
	return 0;
}
