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
 * answers the login command and this program exits silently. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "authclient.h"
#include "config.h"
#include "handoff.h"
#include "log.h"
#include "netaddr.h"
#include "pop3.h"
#include "privdrop.h"
#include "sasl.h"
#include "svcusers.h"
#include "tlsctl.h"
#include "tlsenv.h"

#define AUTH_TIMEOUT_MS 60000
#define FAIL_DELAY_MAX 15

struct login {
	struct io *io;
	const struct config *cfg;
	struct netaddr_client client;
	struct tls_facts tls;
	int authfd;
	unsigned failures, max_failures;
	unsigned bad_commands, max_bad_commands;
	long fail_delay;
	char user[SASL_MAX_USER + 1];   /* from USER; "" when none */
	size_t user_len;
};

static int
plaintext_ok(const struct login *l)
{
	const char *mode = config_str(l->cfg, "plaintext_auth");

	if (l->tls.active)
		return 1;
	if (mode != NULL && strcmp(mode, "yes") == 0)
		return 1;
	if (mode != NULL && strcmp(mode, "loopback") == 0)
		return l->client.remote_known &&
		    netaddr_is_loopback(&l->client.remote);
	return 0;
}

static int
stls_available(const struct login *l)
{
	return !l->tls.active && tlsctl_available();
}

/* Refuse a credential-carrying command without TLS: 1 when refused. */
static int
refuse_plaintext(struct login *l)
{
	if (plaintext_ok(l))
		return 0;
	pop3_reply(l->io, stls_available(l) ? R_PLAINTEXT_AUTH :
	    R_PLAINTEXT_PERM);
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
	struct handoff h;
	struct buf rec = BUF_INIT;
	enum auth_answer a;
	char uv[128];

	log_value(uv, sizeof(uv), user, ulen);
	if (io_flush(l->io) != IO_OK)
		exit(0);
	if (io_pending(l->io) > HANDOFF_PIPELINED_MAX) {
		pop3_reply(l->io, R_PIPELINED_TOO_MUCH);
		return;
	}
	handoff_init(&h);
	snprintf(h.service, sizeof(h.service), "pop3");
	buf_puts(&h.command, cmdname);
	io_peek_pending(l->io, &h.pipelined);
	h.tls = l->tls;
	snprintf(h.remote_ip, sizeof(h.remote_ip), "%s", l->client.remote_ip);
	snprintf(h.remote_port, sizeof(h.remote_port), "%s",
	    l->client.remote_port);
	h.fail_count = l->failures;
	/* Only a name the hand-off record can carry (printable ASCII);
	 * otherwise postern-pop3d takes the checker's $USER. */
	(void)tls_fact_copy(h.user, sizeof(h.user), user, ulen);
	handoff_encode(&h, &rec);
	handoff_free(&h);
	if (l->authfd < 0)
		a = AUTH_UNAVAILABLE;
	else
		a = authclient_check(l->authfd, user, ulen, pass, plen, rec.p,
		    rec.len, AUTH_TIMEOUT_MS);
	wipe(rec.p, rec.len);
	buf_free(&rec);
	switch (a) {
	case AUTH_YES:
		/* postern-pop3d answered and serves the session */
		log_info("auth_handoff", "user=%s", uv);
		exit(0);
	case AUTH_NO: {
		long d = l->fail_delay;
		unsigned i;
		l->failures++;
		log_info("auth_failed", "user=%s ip=%s failures=%u", uv,
		    l->client.remote_ip, l->failures);
		for (i = 1; i < l->failures && d < FAIL_DELAY_MAX; i++)
			d *= 2;
		if (d > FAIL_DELAY_MAX)
			d = FAIL_DELAY_MAX;
		if (d > 0)
			sleep((unsigned)d);
		if (l->failures >= l->max_failures) {
			pop3_reply(l->io, R_AUTH_TOO_MANY);
			io_flush(l->io);
			exit(0);
		}
		pop3_reply(l->io, R_AUTH_FAILED);
		return;
	}
	case AUTH_TEMPFAIL:
		log_warn("auth_tempfail", "user=%s", uv);
		pop3_reply(l->io, R_AUTH_TEMPFAIL);
		return;
	default:
		log_error("auth_unavailable", "user=%s", uv);
		pop3_reply(l->io, R_AUTH_UNAVAILABLE);
		return;
	}
}

static void
cmd_user(struct login *l, const struct pop3_cmd *c)
{
	if (refuse_plaintext(l))
		return;
	if (c->args[0].len > SASL_MAX_USER) {
		pop3_reply(l->io, R_BAD_ARGS);
		return;
	}
	memcpy(l->user, c->args[0].p, c->args[0].len);
	l->user[c->args[0].len] = '\0';
	l->user_len = c->args[0].len;
	pop3_reply(l->io, R_USER_OK);
}

static void
cmd_pass(struct login *l, const struct pop3_cmd *c)
{
	if (refuse_plaintext(l))
		return;
	if (l->user_len == 0) {
		pop3_reply(l->io, R_PASS_NO_USER);
		return;
	}
	if (c->args[0].len > SASL_MAX_PASSWORD) {
		pop3_reply(l->io, R_AUTH_FAILED);
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
	enum sasl_status st;
	const char *ir = NULL;
	size_t irlen = 0;

	if (refuse_plaintext(l))
		return;
	if (c->nargs == 0) {
		/* the pre-RFC 5034 listing some clients still ask for */
		const char *m = sasl_mech_names();
		pop3_reply(l->io, R_AUTH_MECHS);
		while (*m) {
			size_t n = strcspn(m, " ");
			io_write(l->io, m, n);
			io_puts(l->io, "\r\n");
			m += n;
			while (*m == ' ')
				m++;
		}
		io_puts(l->io, ".\r\n");
		return;
	}
	if (sasl_mech_lookup(c->args[0].p, c->args[0].len) == SASL_MECH_NONE) {
		pop3_reply(l->io, R_AUTH_BAD_MECH);
		return;
	}
	if (c->nargs == 2) {
		ir = c->args[1].p;
		irlen = c->args[1].len;
	}
	sasl_init(&sasl);
	st = sasl_start(&sasl, c->args[0].p, c->args[0].len, ir, irlen);
	while (st == SASL_CONTINUE) {
		const char *line;
		size_t len;
		int r;

		/* RFC 5034 4: "+ " and the base64 challenge */
		io_printf(l->io, "+ %s\r\n", buf_cstr(&sasl.challenge));
		if (io_flush(l->io) != IO_OK)
			exit(0);
		r = io_getline(l->io, SASL_MAX_LINE + 2, &line, &len);
		if (r == IO_TOOLONG) {
			sasl_clear(&sasl);
			pop3_reply(l->io, R_AUTH_TOO_LONG);
			return;
		}
		if (r != IO_OK)
			exit(0);
		st = sasl_step(&sasl, line, pop3_chomp(line, len));
	}
	if (st == SASL_CANCEL) {
		sasl_clear(&sasl);
		pop3_reply(l->io, R_AUTH_CANCELLED);
		return;
	}
	if (st == SASL_ERROR) {
		pop3_reply(l->io, R_AUTH_BAD,
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
	char reason[128];

	(void)c;
	if (l->tls.active) {
		pop3_reply(l->io, R_STLS_ACTIVE);
		return;
	}
	if (!tlsctl_available()) {
		pop3_reply(l->io, R_STLS_NOT_AVAILABLE);
		return;
	}
	/* RFC 2595 4: bytes sent before the handshake are dropped there */
	if (tlsctl_starttls(l->io, ready, strlen(ready), &l->tls, reason,
	    sizeof(reason)) < 0) {
		log_info("starttls_failed", "reason=\"%s\"", reason);
		exit(0);
	}
	l->user_len = 0;
	l->user[0] = '\0';
	log_info("starttls", "version=%s cipher=%s", l->tls.version,
	    l->tls.cipher);
}

static void
cmd_capa(struct login *l, const struct pop3_cmd *c)
{
	struct buf b = BUF_INIT;
	unsigned mode = POP3_CAPA_PREAUTH;

	(void)c;
	if (stls_available(l))
		mode |= POP3_CAPA_STLS;
	if (plaintext_ok(l))
		mode |= POP3_CAPA_PLAINTEXT;
	pop3_reply(l->io, R_CAPA);
	pop3_capa_write(&b, mode);
	buf_puts(&b, ".\r\n");
	io_write(l->io, b.p, b.len);
	buf_free(&b);
}

/* A bad command: reply, count, and close at the limit. */
static void
bad_command(struct login *l, enum pop3_reply_id id)
{
	pop3_reply(l->io, id);
	if (++l->bad_commands >= l->max_bad_commands) {
		pop3_reply(l->io, R_BYE_ERRORS);
		io_flush(l->io);
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
	l.cfg = cfg;
	(void)netaddr_client(&l.client);
	(void)tlsenv_read(&l.tls);
	l.authfd = authclient_fd();
	l.max_failures = (unsigned)config_int(cfg, "pop3_auth_failures");
	if (l.max_failures == 0)
		l.max_failures = 1;
	l.max_bad_commands = (unsigned)config_int(cfg, "pop3_max_bad_commands");
	if (l.max_bad_commands == 0)
		l.max_bad_commands = 1;
	l.fail_delay = (long)config_int(cfg, "pop3_auth_fail_delay");

	priv_drop_preauth(cfg);   /* before the first read (rule 1) */

	l.io = io_new(0, 1, (int)config_int(cfg, "pop3_login_timeout") * 1000);
	pop3_reply(l.io, R_GREETING);
	log_info("connect", "ip=%s tls=%s", l.client.remote_ip,
	    l.tls.active ? l.tls.version : "no");

	for (;;) {
		struct pop3_cmd c;
		const char *line;
		size_t len;
		int r;

		if (io_flush_if_idle(l.io) != IO_OK)
			return 0;
		r = io_getline(l.io, POP3_LINE_MAX, &line, &len);
		if (r == IO_TOOLONG) {
			bad_command(&l, R_LINE_TOO_LONG);
			continue;
		}
		if (r == IO_TIMEOUT) {
			pop3_reply(l.io, R_BYE_TIMEOUT);
			io_flush(l.io);
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
			pop3_reply(l.io, R_BYE);
			io_flush(l.io);
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
			pop3_reply(l.io, R_APOP);
			break;
		default:
			bad_command(&l, R_WRONG_STATE);
			break;
		}
	}
}
