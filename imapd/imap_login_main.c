/* imap_login_main.c: postern-imap-login, the pre-auth IMAP program
 * (DESIGN.md rule 4).  Started by postern-login as root (or as the
 * invoking user), it loads the config, then chroots to the empty
 * directory and drops to the auth service user before it reads a byte
 * from the client.  It greets, answers CAPABILITY, NOOP, ID, LOGOUT,
 * STARTTLS (through postern-tls) and takes LOGIN or AUTHENTICATE (PLAIN,
 * LOGIN, with SASL-IR).  It never checks a password: the credentials and
 * the hand-off record (tag, command, bytes pipelined behind it, TLS facts)
 * go to the monitor; on success postern-imapd, started as the user on
 * the same connection, answers the tag, and this program exits silently.
 * What it shares with postern-pop3-login is in common/prelogin.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "config.h"
#include "imap_parser.h"
#include "imapd.h"
#include "log.h"
#include "prelogin.h"
#include "sasl.h"

#define LOGIN_LINE_MAX 8192

struct login {
	struct prelogin pl;   /* io, config, client, TLS facts, monitor */
	struct imap_limits lim;
};

static void
write_caps(struct login *l, struct buf *b)
{
	unsigned mode = IMAP_CAPS_PREAUTH;

	if (prelogin_starttls_available(&l->pl))
		mode |= IMAP_CAPS_STARTTLS;
	if (!prelogin_plaintext_ok(&l->pl))
		mode |= IMAP_CAPS_LOGINDISABLED;
	imap_caps_write(b, mode);
}

static void
reply(struct login *l, const char *tag, const char *text)
{
	io_printf(l->pl.io, "%s %s\r\n", tag, text);
}

/* Send the credentials to the monitor; returns only when the login
 * failed (on success the post-auth server owns the connection). */
static void
try_login(struct login *l, const char *tag, const char *cmdname,
    const char *user, size_t ulen, const char *pass, size_t plen)
{
	switch (prelogin_login(&l->pl, "imap", tag, cmdname, user, ulen, pass,
	    plen)) {
	case PRELOGIN_PIPELINED:
		reply(l, tag, "NO [LIMIT] Too much pipelined after the login");
		return;
	case PRELOGIN_FAILED:
		reply(l, tag, "NO [AUTHENTICATIONFAILED] Authentication failed");
		return;
	case PRELOGIN_TOO_MANY:
		reply(l, tag, "NO [AUTHENTICATIONFAILED] Authentication failed");
		io_puts(l->pl.io, "* BYE Too many authentication failures\r\n");
		io_flush(l->pl.io);
		exit(0);
	case PRELOGIN_TEMPFAIL:
		reply(l, tag, "NO [UNAVAILABLE] Temporary authentication failure, try again later");
		return;
	default:
		reply(l, tag, "NO [UNAVAILABLE] Authentication service unavailable");
		return;
	}
}

static void
cmd_login(struct login *l, struct imap_cmd *c)
{
	if (c->nargs != 2 || !imap_arg_is_astring(&c->args[0]) ||
	    !imap_arg_is_astring(&c->args[1])) {
		reply(l, c->tag, "BAD LOGIN needs a user name and a password");
		return;
	}
	if (!prelogin_plaintext_ok(&l->pl)) {
		reply(l, c->tag, "NO [PRIVACYREQUIRED] Plaintext authentication disallowed without TLS");
		return;
	}
	if (c->args[0].len == 0 || c->args[1].len == 0 ||
	    c->args[0].len > SASL_MAX_USER || c->args[1].len > SASL_MAX_PASSWORD) {
		reply(l, c->tag, "NO [AUTHENTICATIONFAILED] Authentication failed");
		return;
	}
	try_login(l, c->tag, "LOGIN", c->args[0].p, c->args[0].len,
	    c->args[1].p, c->args[1].len);
}

static void
cmd_authenticate(struct login *l, struct imap_cmd *c)
{
	struct sasl sasl;
	int st;
	const char *ir = NULL;
	size_t irlen = 0;

	if (c->nargs < 1 || c->nargs > 2 || c->args[0].type != IMAP_ARG_ATOM ||
	    (c->nargs == 2 && c->args[1].type != IMAP_ARG_ATOM)) {
		reply(l, c->tag, "BAD AUTHENTICATE needs a mechanism");
		return;
	}
	if (!prelogin_plaintext_ok(&l->pl)) {
		reply(l, c->tag, "NO [PRIVACYREQUIRED] Plaintext authentication disallowed without TLS");
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
		reply(l, c->tag, "NO [CANNOT] Unsupported authentication mechanism");
		return;
	}
	if (st == PRELOGIN_SASL_TOOLONG) {
		sasl_clear(&sasl);
		reply(l, c->tag, "BAD Authentication line too long");
		return;
	}
	if (st == SASL_CANCEL) {
		sasl_clear(&sasl);
		reply(l, c->tag, "BAD Authentication cancelled");
		return;
	}
	if (st == SASL_ERROR) {
		io_printf(l->pl.io, "%s BAD %s\r\n", c->tag,
		    sasl.error ? sasl.error : "Authentication failed");
		sasl_clear(&sasl);
		return;
	}
	try_login(l, c->tag, "AUTHENTICATE", sasl.user.p, sasl.user.len,
	    sasl.password.p, sasl.password.len);
	sasl_clear(&sasl);
}

static void
cmd_starttls(struct login *l, struct imap_cmd *c)
{
	char line[256];
	int n;

	if (c->nargs != 0) {
		reply(l, c->tag, "BAD STARTTLS takes no arguments");
		return;
	}
	if (!prelogin_starttls_available(&l->pl)) {
		reply(l, c->tag, "BAD TLS is not available here");
		return;
	}
	n = snprintf(line, sizeof(line), "%s OK Begin TLS negotiation now\r\n",
	    c->tag);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		reply(l, c->tag, "BAD Tag too long");
		return;
	}
	prelogin_starttls(&l->pl, line, (size_t)n);
}

static void
cmd_id(struct login *l, struct imap_cmd *c)
{
	if (c->nargs != 1 || (!imap_arg_is_nil(&c->args[0]) &&
	    c->args[0].type != IMAP_ARG_LIST)) {
		reply(l, c->tag, "BAD ID takes a list or NIL");
		return;
	}
	io_puts(l->pl.io, "* ID (\"name\" \"postern\")\r\n");
	reply(l, c->tag, "OK ID completed");
}

static void
cmd_capability(struct login *l, struct imap_cmd *c)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "* CAPABILITY ");
	write_caps(l, &b);
	buf_puts(&b, "\r\n");
	io_write(l->pl.io, b.p, b.len);
	buf_free(&b);
	reply(l, c->tag, "OK CAPABILITY completed");
}

int
main(void)
{
	struct login l;
	struct buf b = BUF_INIT;
	struct config *cfg;

	log_init("postern-imap-login", 0);
	cfg = config_load_or_die();
	memset(&l, 0, sizeof(l));
	prelogin_init(&l.pl, cfg, "imap_auth_failures", "imap_auth_fail_delay");
	imap_limits_default(&l.lim);
	l.lim.max_line = LOGIN_LINE_MAX;
	l.lim.max_literal = 1024;
	l.lim.max_command = 4 * LOGIN_LINE_MAX;
	l.lim.max_args = 32;
	l.lim.max_depth = 4;
	l.lim.literal_hard_cap = 64 * 1024;

	prelogin_start(&l.pl, "imap_login_timeout");
	buf_puts(&b, "* OK [CAPABILITY ");
	write_caps(&l, &b);
	buf_puts(&b, "] postern IMAP ready\r\n");
	io_write(l.pl.io, b.p, b.len);
	buf_free(&b);

	for (;;) {
		struct imap_cmd *c = NULL;
		char tag[80], reason[160];
		int r;

		if (io_flush(l.pl.io) != IO_OK)
			return 0;
		r = imap_read_command(l.pl.io, &l.lim, 1, &c, tag, sizeof(tag),
		    reason, sizeof(reason));
		if (r == IMAP_READ_EOF)
			return 0;
		if (r == IMAP_READ_TIMEOUT) {
			io_puts(l.pl.io, "* BYE Autologout; too slow\r\n");
			io_flush(l.pl.io);
			return 0;
		}
		if (r == IMAP_READ_BAD) {
			io_printf(l.pl.io, "%s BAD %s\r\n", tag, reason);
			continue;
		}
		if (r == IMAP_READ_TOOBIG) {
			io_printf(l.pl.io, "%s NO [TOOBIG] %s\r\n", tag, reason);
			continue;
		}
		if (r != IMAP_READ_OK) {
			if (r == IMAP_READ_FATAL) {
				io_printf(l.pl.io, "* BYE %s\r\n", reason);
				io_flush(l.pl.io);
			}
			return 0;
		}
		if (strcmp(c->name, "CAPABILITY") == 0)
			cmd_capability(&l, c);
		else if (strcmp(c->name, "NOOP") == 0)
			reply(&l, c->tag, c->nargs ? "BAD NOOP takes no arguments" :
			    "OK NOOP completed");
		else if (strcmp(c->name, "LOGOUT") == 0) {
			io_puts(l.pl.io, "* BYE Logging out\r\n");
			reply(&l, c->tag, "OK LOGOUT completed");
			io_flush(l.pl.io);
			imap_cmd_free(c);
			return 0;
		} else if (strcmp(c->name, "ID") == 0)
			cmd_id(&l, c);
		else if (strcmp(c->name, "STARTTLS") == 0)
			cmd_starttls(&l, c);
		else if (strcmp(c->name, "LOGIN") == 0)
			cmd_login(&l, c);
		else if (strcmp(c->name, "AUTHENTICATE") == 0)
			cmd_authenticate(&l, c);
		else
			reply(&l, c->tag, "BAD Command unknown or not allowed before login");
		imap_cmd_free(c);
	}
}
