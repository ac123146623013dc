/* imap_session.c: postern-imapd's command loop: the command table, the
 * state checks, tagged and untagged replies, and the small commands that
 * touch no mailbox (CAPABILITY, NOOP, LOGOUT, ENABLE, ID, CHECK). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "imapd.h"
#include "imap_quote.h"
#include "log.h"

/* The index of what postern-imapd does (RFC 3501 6, RFC 9051 6 and the
 * extensions in imap_caps.c). */
static const struct imap_command commands[] = {
	{ "CAPABILITY", imap_cmd_capability, IMAP_STATE_ANY, 0 },
	{ "NOOP", imap_cmd_noop, IMAP_STATE_ANY, 0 },
	{ "LOGOUT", imap_cmd_logout, IMAP_STATE_ANY, 0 },
	{ "ID", imap_cmd_id, IMAP_STATE_ANY, 0 },
	{ "ENABLE", imap_cmd_enable, IMAP_STATE_AUTH, 0 },
	{ "SELECT", imap_cmd_select, IMAP_STATE_ANYAUTH, 0 },
	{ "EXAMINE", imap_cmd_examine, IMAP_STATE_ANYAUTH, 0 },
	{ "CREATE", imap_cmd_create, IMAP_STATE_ANYAUTH, 0 },
	{ "DELETE", imap_cmd_delete, IMAP_STATE_ANYAUTH, 0 },
	{ "RENAME", imap_cmd_rename, IMAP_STATE_ANYAUTH, 0 },
	{ "SUBSCRIBE", imap_cmd_subscribe, IMAP_STATE_ANYAUTH, 0 },
	{ "UNSUBSCRIBE", imap_cmd_unsubscribe, IMAP_STATE_ANYAUTH, 0 },
	{ "LIST", imap_cmd_list, IMAP_STATE_ANYAUTH, 0 },
	{ "LSUB", imap_cmd_lsub, IMAP_STATE_ANYAUTH, 0 },
	{ "NAMESPACE", imap_cmd_namespace, IMAP_STATE_ANYAUTH, 0 },
	{ "STATUS", imap_cmd_status, IMAP_STATE_ANYAUTH, 0 },
	{ "APPEND", imap_cmd_append, IMAP_STATE_ANYAUTH, 0 },
	{ "IDLE", imap_cmd_idle, IMAP_STATE_ANYAUTH, IMAP_CMD_CONTINUES },
	{ "GETQUOTA", imap_cmd_getquota, IMAP_STATE_ANYAUTH, 0 },
	{ "GETQUOTAROOT", imap_cmd_getquotaroot, IMAP_STATE_ANYAUTH, 0 },
	{ "SETQUOTA", imap_cmd_setquota, IMAP_STATE_ANYAUTH, 0 },
	{ "CHECK", imap_cmd_check, IMAP_STATE_SELECTED, 0 },
	{ "CLOSE", imap_cmd_close, IMAP_STATE_SELECTED, 0 },
	{ "UNSELECT", imap_cmd_unselect, IMAP_STATE_SELECTED, 0 },
	{ "EXPUNGE", imap_cmd_expunge, IMAP_STATE_SELECTED, IMAP_CMD_UID_OK },
	{ "SEARCH", imap_cmd_search, IMAP_STATE_SELECTED,
	  IMAP_CMD_UID_OK | IMAP_CMD_NO_EXPUNGE },
	{ "FETCH", imap_cmd_fetch, IMAP_STATE_SELECTED,
	  IMAP_CMD_UID_OK | IMAP_CMD_NO_EXPUNGE },
	{ "STORE", imap_cmd_store, IMAP_STATE_SELECTED,
	  IMAP_CMD_UID_OK | IMAP_CMD_NO_EXPUNGE },
	{ "COPY", imap_cmd_copy, IMAP_STATE_SELECTED,
	  IMAP_CMD_UID_OK | IMAP_CMD_NO_EXPUNGE },
	{ "MOVE", imap_cmd_move, IMAP_STATE_SELECTED, IMAP_CMD_UID_OK },
	{ NULL, NULL, 0, 0 }
};

const struct imap_command *
imap_command_find(const char *name)
{
	const struct imap_command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcasecmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* --- replies ------------------------------------------------------------ */

static void
tagged(struct imap_session *s, const char *result, const char *code,
    const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;

	if (s->replied)
		return;
	if (s->state == IMAP_STATE_SELECTED && s->mbox != NULL &&
	    strcmp(result, "BAD") != 0)
		imap_mailbox_update(s, s->cmd == NULL || s->uid ||
		    !(s->cmd->flags & IMAP_CMD_NO_EXPUNGE));
	buf_printf(&b, "%s %s ", s->tag ? s->tag : "*", result);
	if (code != NULL && *code)
		buf_printf(&b, "[%s] ", code);
	buf_vprintf(&b, fmt, ap);
	buf_puts(&b, "\r\n");
	io_write(s->io, b.p, b.len);
	buf_free(&b);
	s->replied = 1;
}

void
imap_ok(struct imap_session *s, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tagged(s, "OK", code, fmt, ap);
	va_end(ap);
}

void
imap_no(struct imap_session *s, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tagged(s, "NO", code, fmt, ap);
	va_end(ap);
}

void
imap_bad(struct imap_session *s, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tagged(s, "BAD", code, fmt, ap);
	va_end(ap);
}

void
imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_puts(&b, "* ");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "\r\n");
	io_write(s->io, b.p, b.len);
	buf_free(&b);
}

/* Mailbox names: after ENABLE UTF8=ACCEPT / IMAP4rev2 UTF-8 may stand in
 * a quoted string (RFC 6855 3, RFC 9051 4.3), as other servers send it;
 * otherwise the general rule of imap_write_string. */
void
imap_write_mailbox(struct imap_session *s, struct buf *out, const char *p,
    size_t len)
{
	size_t i;

	if (imap_utf8(s) && len <= 1024) {
		for (i = 0; i < len; i++)
			if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
				break;
		if (i == len) {
			buf_putc(out, '"');
			for (i = 0; i < len; i++) {
				if (p[i] == '"' || p[i] == '\\')
					buf_putc(out, '\\');
				buf_putc(out, p[i]);
			}
			buf_putc(out, '"');
			return;
		}
	}
	imap_write_string(out, p, len);
}

void
imap_send_buf(struct imap_session *s, struct buf *b)
{
	io_write(s->io, b->p, b->len);
	buf_reset(b);
}

int
imap_rev2(const struct imap_session *s)
{
	return (s->enabled & IMAP_EXT_REV2) != 0;
}

int
imap_utf8(const struct imap_session *s)
{
	return (s->enabled & (IMAP_EXT_REV2 | IMAP_EXT_UTF8)) != 0;
}

int
imap_condstore(const struct imap_session *s)
{
	return (s->enabled & (IMAP_EXT_CONDSTORE | IMAP_EXT_QRESYNC)) != 0;
}

void
imap_condstore_enable(struct imap_session *s)
{
	if (imap_condstore(s))
		return;
	s->enabled |= IMAP_EXT_CONDSTORE;
	if (s->state == IMAP_STATE_SELECTED && s->mbox != NULL)
		imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)s->mbox->highest_modseq);
}

void
imap_saved_reset(struct imap_session *s)
{
	free(s->saved_uids);
	s->saved_uids = NULL;
	s->nsaved = 0;
	s->saved_valid = 0;
}

/* --- small commands ----------------------------------------------------- */

void
imap_cmd_capability(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	struct buf b = BUF_INIT;

	(void)args;
	if (nargs != 0) {
		imap_bad(s, NULL, "CAPABILITY takes no arguments");
		return;
	}
	buf_puts(&b, "* CAPABILITY ");
	imap_caps_write(&b, 0);
	buf_puts(&b, "\r\n");
	imap_send_buf(s, &b);
	buf_free(&b);
	imap_ok(s, NULL, "CAPABILITY completed");
}

void
imap_cmd_noop(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	(void)args;
	if (nargs != 0) {
		imap_bad(s, NULL, "NOOP takes no arguments");
		return;
	}
	imap_ok(s, NULL, "NOOP completed");
}

void
imap_cmd_check(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	(void)args;
	if (nargs != 0) {
		imap_bad(s, NULL, "CHECK takes no arguments");
		return;
	}
	/* Everything is durable already (the index is written per change). */
	imap_ok(s, NULL, "CHECK completed");
}

void
imap_cmd_logout(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	(void)args;
	if (nargs != 0) {
		imap_bad(s, NULL, "LOGOUT takes no arguments");
		return;
	}
	imap_untagged(s, "BYE Logging out");
	if (s->mbox != NULL)
		imap_mailbox_close(s);
	s->state = IMAP_STATE_LOGOUT;
	imap_ok(s, NULL, "LOGOUT completed");
}

/* RFC 2971: the client's fields are only logged (bounded). */
void
imap_cmd_id(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	char v[128];
	size_t i;

	if (nargs != 1 || (!imap_arg_is_nil(&args[0]) &&
	    args[0].type != IMAP_ARG_LIST)) {
		imap_bad(s, NULL, "ID takes a list or NIL");
		return;
	}
	if (args[0].type == IMAP_ARG_LIST) {
		if (args[0].count % 2 != 0 || args[0].count > 60) {
			imap_bad(s, NULL, "Bad ID parameter list");
			return;
		}
		for (i = 0; i < args[0].count; i++)
			if (!imap_arg_is_string(&args[0].list[i]) &&
			    !imap_arg_is_nil(&args[0].list[i])) {
				imap_bad(s, NULL, "Bad ID parameter list");
				return;
			}
		for (i = 0; i + 1 < args[0].count && i < 8; i += 2) {
			const struct imap_arg *k = &args[0].list[i];
			const struct imap_arg *val = &args[0].list[i + 1];
			if (strcasecmp(k->p, "name") == 0 && val->p != NULL &&
			    !imap_arg_is_nil(val)) {
				log_value(v, sizeof(v), val->p, val->len);
				log_info("client_id", "name=%s", v);
			}
		}
	}
	imap_untagged(s, "ID (\"name\" \"postern\")");
	imap_ok(s, NULL, "ID completed");
}

/* RFC 5161; RFC 9051 (IMAP4rev2); RFC 7162 3.2.3 (QRESYNC implies
 * CONDSTORE); RFC 6855 (UTF8=ACCEPT). */
void
imap_cmd_enable(struct imap_session *s, const struct imap_arg *args,
    size_t nargs)
{
	struct buf b = BUF_INIT;
	size_t i;
	unsigned before = s->enabled;
	int ext_ok = imap_cmd_fetch != NULL && imap_cmd_store != NULL &&
	    imap_cmd_search != NULL;

	if (nargs == 0) {
		imap_bad(s, NULL, "ENABLE needs at least one capability");
		return;
	}
	for (i = 0; i < nargs; i++)
		if (args[i].type != IMAP_ARG_ATOM) {
			imap_bad(s, NULL, "ENABLE takes capability names");
			return;
		}
	buf_puts(&b, "* ENABLED");
	for (i = 0; i < nargs; i++) {
		const char *n = args[i].p;
		unsigned bit = 0;
		if (strcasecmp(n, "CONDSTORE") == 0 && ext_ok)
			bit = IMAP_EXT_CONDSTORE;
		else if (strcasecmp(n, "QRESYNC") == 0 && ext_ok)
			bit = IMAP_EXT_QRESYNC | IMAP_EXT_CONDSTORE;
		else if (strcasecmp(n, "IMAP4rev2") == 0 && ext_ok &&
		    imap_cmd_copy != NULL && imap_cmd_move != NULL)
			bit = IMAP_EXT_REV2;
		else if (strcasecmp(n, "UTF8=ACCEPT") == 0)
			bit = IMAP_EXT_UTF8;
		if (bit == 0 || (s->enabled & bit) == bit)
			continue;
		/* Only what this command newly enabled is listed. */
		if ((before & bit) != bit) {
			buf_putc(&b, ' ');
			buf_puts(&b, bit == (IMAP_EXT_QRESYNC | IMAP_EXT_CONDSTORE) ?
			    "QRESYNC" : bit == IMAP_EXT_CONDSTORE ? "CONDSTORE" :
			    bit == IMAP_EXT_REV2 ? "IMAP4rev2" : "UTF8=ACCEPT");
		}
		s->enabled |= bit;
	}
	buf_puts(&b, "\r\n");
	imap_send_buf(s, &b);
	buf_free(&b);
	imap_ok(s, NULL, "ENABLE completed");
}

/* --- the loop ----------------------------------------------------------- */

static void
dispatch(struct imap_session *s, struct imap_cmd *cmd)
{
	const struct imap_command *c;
	const struct imap_arg *args = cmd->args;
	size_t nargs = cmd->nargs;

	s->tag = cmd->tag;
	s->uid = 0;
	s->replied = 0;
	s->cmd = NULL;
	if (strcmp(cmd->name, "UID") == 0) {
		if (nargs == 0 || args[0].type != IMAP_ARG_ATOM) {
			imap_bad(s, NULL, "UID needs a command");
			return;
		}
		c = imap_command_find(args[0].p);
		if (c == NULL || !(c->flags & IMAP_CMD_UID_OK)) {
			imap_bad(s, NULL, "Unknown UID command");
			return;
		}
		s->uid = 1;
		args++;
		nargs--;
	} else
		c = imap_command_find(cmd->name);
	if (c == NULL || c->fn == NULL) {
		imap_bad(s, NULL, "Unknown command");
		return;
	}
	if (!(c->states & s->state)) {
		imap_bad(s, NULL, "%s not allowed %s", c->name,
		    s->state == IMAP_STATE_SELECTED ? "in the selected state" :
		    s->state == IMAP_STATE_AUTH ? "without a selected mailbox" :
		    "now");
		return;
	}
	s->cmd = c;
	c->fn(s, args, nargs);
	if (!s->replied) {
		log_error("internal", "reason=no reply cmd=%s", c->name);
		imap_no(s, "SERVERBUG", "Internal error");
	}
	s->cmd = NULL;
}

int
imap_session_run(struct imap_session *s)
{
	for (;;) {
		struct imap_cmd *cmd = NULL;
		char tag[80], reason[160];
		int r;

		if (io_flush(s->io) != IO_OK)
			return 0;
		io_set_timeout(s->io, s->idle_timeout_ms);
		r = imap_read_command(s->io, &s->limits, 1, &cmd, tag,
		    sizeof(tag), reason, sizeof(reason));
		io_set_timeout(s->io, s->command_timeout_ms);
		switch (r) {
		case IMAP_READ_OK:
			dispatch(s, cmd);
			imap_cmd_free(cmd);
			s->tag = NULL;
			if (s->state == IMAP_STATE_LOGOUT) {
				io_flush(s->io);
				return 0;
			}
			break;
		case IMAP_READ_EOF:
			log_info("disconnect", "reason=eof");
			return 0;
		case IMAP_READ_TIMEOUT:
			io_puts(s->io, "* BYE Autologout; idle for too long\r\n");
			io_flush(s->io);
			log_info("disconnect", "reason=timeout");
			return 0;
		case IMAP_READ_BAD:
			io_printf(s->io, "%s BAD %s\r\n", tag, reason);
			break;
		case IMAP_READ_TOOBIG:
			io_printf(s->io, "%s NO [TOOBIG] %s\r\n", tag, reason);
			break;
		case IMAP_READ_FATAL:
			io_printf(s->io, "* BYE %s\r\n", reason);
			io_flush(s->io);
			log_info("disconnect", "reason=fatal");
			return 0;
		default:
			log_info("disconnect", "reason=io-error");
			return 0;
		}
	}
}
