/* pop3_login_main.c: postern-pop3-login, the pre-auth POP3 program
 * (DESIGN.md rule 4; the qmail-popup of the chain).  Started by
 * postern-login as root (or as the invoking user), it loads the config,
 * then chroots to the empty directory and drops to the auth service user
 * before it reads a byte from the client.  It greets and serves the
 * AUTHORIZATION state: CAPA, USER/PASS, AUTH (RFC 5034: PLAIN and LOGIN,
 * with an initial response), STLS (RFC 2595, through postern-tls), QUIT.
 * It never checks a password: the credentials and the hand-off record
 * (command, bytes pipelined behind it, TLS facts) go to the monitor; on
 * success postern-pop3d, started as the user on the same connection,
 * answers the login command and this program exits silently.  What it
 * shares with postern-imap-login is in common/prelogin.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "log.h"
#include "pop3.h"
#include "prelogin.h"
#include "sasl.h"

struct login {
	struct prelogin pl;   /* io, config, client, TLS facts, monitor */
	unsigned bad_commands, max_bad_commands;
	char user[SASL_MAX_USER + 1];   /* from USER; "" when none */
	size_t user_len;
};

/* Refuse a credential-carrying command without TLS: 1 when refused. */
static int
refuse_plaintext(struct login *l)
{
	if (prelogin_plaintext_ok(&l->pl))
		return 0;
	pop3_reply(l->pl.io, prelogin_starttls_available(&l->pl) ?
	    R_PLAINTEXT_AUTH : R_PLAINTEXT_PERM);
	return 1;
}

static void
wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

/* Send the credentials to the monitor; returns only when the login
 * failed (on success the post-auth server owns the connection). */
static void
try_login(struct login *l, const char *cmdname, const char *user,
    size_t ulen, const char *pass, size_t plen)
{
	switch (prelogin_login(&l->pl, "pop3", NULL, cmdname, user, ulen,
	    pass, plen)) {
	case PRELOGIN_PIPELINED:
		pop3_reply(l->pl.io, R_PIPELINED_TOO_MUCH);
		return;
	case PRELOGIN_FAILED:
		pop3_reply(l->pl.io, R_AUTH_FAILED);
		return;
	case PRELOGIN_TOO_MANY:
		pop3_reply(l->pl.io, R_AUTH_TOO_MANY);
		io_flush(l->pl.io);
		exit(0);
	case PRELOGIN_TEMPFAIL:
		pop3_reply(l->pl.io, R_AUTH_TEMPFAIL);
		return;
	default:
		pop3_reply(l->pl.io, R_AUTH_UNAVAILABLE);
		return;
	}
}

static void
cmd_user(struct login *l, const struct pop3_cmd *c)
{
	if (refuse_plaintext(l))
		return;
	if (c->args[0].len > SASL_MAX_USER) {
		pop3_reply(l->pl.io, R_BAD_ARGS);
		return;
	}
	memcpy(l->user, c->args[0].p, c->args[0].len);
	l->user[c->args[0].len] = '\0';
	l->user_len = c->args[0].len;
	pop3_reply(l->pl.io, R_USER_OK);
}

static void
cmd_pass(struct login *l, const struct pop3_cmd *c)
{
	if (refuse_plaintext(l))
		return;
	if (l->user_len == 0) {
		pop3_reply(l->pl.io, R_PASS_NO_USER);
		return;
	}
	if (c->args[0].len > SASL_MAX_PASSWORD) {
		pop3_reply(l->pl.io, R_AUTH_FAILED);
		l->user_len = 0;
		return;
	}
	try_login(l, "PASS", l->user, l->user_len, c->args[0].p,
	    c->args[0].len);
	/* RFC 1939 7: after a failed PASS the client starts with USER */
	l->user_len = 0;
	l->user[0] = '\0';
}

static void
cmd_auth(struct login *l, const struct pop3_cmd *c)
{
	struct sasl sasl;
	int st;
	const char *ir = NULL;
	size_t irlen = 0;

	if (refuse_plaintext(l))
		return;
	if (c->nargs == 0) {
		/* the pre-RFC 5034 listing some clients still ask for */
		const char *m = sasl_mech_names();
		pop3_reply(l->pl.io, R_AUTH_MECHS);
		while (*m) {
			size_t n = strcspn(m, " ");
			io_write(l->pl.io, m, n);
			io_puts(l->pl.io, "\r\n");
			m += n;
			while (*m == ' ')
				m++;
		}
		io_puts(l->pl.io, ".\r\n");
		return;
	}
	if (c->nargs == 2) {
		ir = c->args[1].p;
		irlen = c->args[1].len;
	}
	st = prelogin_sasl(&l->pl, &sasl, c->args[0].p, c->args[0].len, ir,
	    irlen);
	if (st == PRELOGIN_SASL_BADMECH) {
		sasl_clear(&sasl);
		pop3_reply(l->pl.io, R_AUTH_BAD_MECH);
		return;
	}
	if (st == PRELOGIN_SASL_TOOLONG) {
		sasl_clear(&sasl);
		pop3_reply(l->pl.io, R_AUTH_TOO_LONG);
		return;
	}
	if (st == SASL_CANCEL) {
		sasl_clear(&sasl);
		pop3_reply(l->pl.io, R_AUTH_CANCELLED);
		return;
	}
	if (st == SASL_ERROR) {
		pop3_reply(l->pl.io, R_AUTH_BAD,
		    sasl.error ? sasl.error : "Authentication failed");
		sasl_clear(&sasl);
		return;
	}
	try_login(l, "AUTH", sasl.user.p, sasl.user.len, sasl.password.p,
	    sasl.password.len);
	sasl_clear(&sasl);
}

static void
cmd_stls(struct login *l, const struct pop3_cmd *c)
{
	const char *ready = pop3_reply_format(R_STLS_READY);

	(void)c;
	if (l->pl.tls.active) {
		pop3_reply(l->pl.io, R_STLS_ACTIVE);
		return;
	}
	if (!prelogin_starttls_available(&l->pl)) {
		pop3_reply(l->pl.io, R_STLS_NOT_AVAILABLE);
		return;
	}
	/* RFC 2595 4: bytes sent before the handshake are dropped there */
	prelogin_starttls(&l->pl, ready, strlen(ready));
	l->user_len = 0;
	l->user[0] = '\0';
}

static void
cmd_capa(struct login *l, const struct pop3_cmd *c)
{
	struct buf b = BUF_INIT;
	unsigned mode = POP3_CAPA_PREAUTH;

	(void)c;
	if (prelogin_starttls_available(&l->pl))
		mode |= POP3_CAPA_STLS;
	if (prelogin_plaintext_ok(&l->pl))
		mode |= POP3_CAPA_PLAINTEXT;
	pop3_reply(l->pl.io, R_CAPA);
	pop3_capa_write(&b, mode);
	buf_puts(&b, ".\r\n");
	io_write(l->pl.io, b.p, b.len);
	buf_free(&b);
}

/* A bad command: reply, count, and close at the limit. */
static void
bad_command(struct login *l, enum pop3_reply_id id)
{
	pop3_reply(l->pl.io, id);
	if (++l->bad_commands >= l->max_bad_commands) {
		pop3_reply(l->pl.io, R_BYE_ERRORS);
		io_flush(l->pl.io);
		exit(0);
	}
}

int
main(void)
{
	struct login l;
	struct config *cfg;

	log_init("postern-pop3-login", 0);
	signal(SIGPIPE, SIG_IGN);
	cfg = config_load_or_die();
	memset(&l, 0, sizeof(l));
	prelogin_init(&l.pl, cfg, "pop3_auth_failures", "pop3_auth_fail_delay");
	l.max_bad_commands = (unsigned)config_int(cfg, "pop3_max_bad_commands");
	if (l.max_bad_commands == 0)
		l.max_bad_commands = 1;

	prelogin_start(&l.pl, "pop3_login_timeout");
	pop3_reply(l.pl.io, R_GREETING);

	for (;;) {
		struct pop3_cmd c;
		const char *line;
		size_t len;
		int r;

		if (io_flush_if_idle(l.pl.io) != IO_OK)
			return 0;
		r = io_getline(l.pl.io, POP3_LINE_MAX, &line, &len);
		if (r == IO_TOOLONG) {
			bad_command(&l, R_LINE_TOO_LONG);
			continue;
		}
		if (r == IO_TIMEOUT) {
			pop3_reply(l.pl.io, R_BYE_TIMEOUT);
			io_flush(l.pl.io);
			return 0;
		}
		if (r != IO_OK || len == 0 || line[len - 1] != '\n')
			return 0;
		switch (pop3_parse(line, len, &c)) {
		case POP3_PARSE_OK:
			break;
		case POP3_PARSE_BADCHAR:
			bad_command(&l, R_BAD_CHAR);
			continue;
		case POP3_PARSE_UNKNOWN:
		case POP3_PARSE_EMPTY:
			bad_command(&l, R_UNKNOWN);
			continue;
		default:
			bad_command(&l, c.def != NULL &&
			    !(c.def->states & POP3_STATE_AUTH) ? R_WRONG_STATE :
			    R_BAD_ARGS);
			continue;
		}
		if (!(c.def->states & POP3_STATE_AUTH)) {
			/* RFC 1939: STAT, RETR & co. need a login first */
			bad_command(&l, R_WRONG_STATE);
			continue;
		}
		switch (c.def->id) {
		case POP3_CMD_CAPA:
			cmd_capa(&l, &c);
			break;
		case POP3_CMD_QUIT:
			pop3_reply(l.pl.io, R_BYE);
			io_flush(l.pl.io);
			return 0;
		case POP3_CMD_USER:
			cmd_user(&l, &c);
			break;
		case POP3_CMD_PASS:
			cmd_pass(&l, &c);
			/* the password was in the io buffer: wipe it */
			wipe((char *)c.args[0].p, c.args[0].len);
			break;
		case POP3_CMD_AUTH:
			cmd_auth(&l, &c);
			break;
		case POP3_CMD_STLS:
			cmd_stls(&l, &c);
			break;
		case POP3_CMD_APOP:
			pop3_reply(l.pl.io, R_APOP);
			break;
		default:
			bad_command(&l, R_WRONG_STATE);
			break;
		}
	}
}
