/* imap_login_main.c: postern-imap-login, the pre-auth IMAP program
 * (DESIGN.md rule 4).  Started by postern-login as root (or as the
 * invoking user), it loads the config, then chroots to the empty
 * directory and drops to the auth service user before it reads a byte
 * from the client.  It greets, answers CAPABILITY, NOOP, ID, LOGOUT,
 * STARTTLS (through postern-tls) and takes LOGIN or AUTHENTICATE (PLAIN,
 * LOGIN, with SASL-IR).  It never checks a password: the credentials and
 * the hand-off record (tag, command, bytes pipelined behind it, TLS facts)
 * go to the monitor; on success postern-imapd, started as the user on
 * the same connection, answers the tag, and this program exits silently. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "authclient.h"
#include "config.h"
#include "handoff.h"
#include "imap_parser.h"
#include "imapd.h"
#include "log.h"
#include "netaddr.h"
#include "privdrop.h"
#include "sasl.h"
#include "tlsctl.h"
#include "tlsenv.h"

#define LOGIN_LINE_MAX 8192
#define AUTH_TIMEOUT_MS 60000

struct login {
	struct io *io;
	const struct config *cfg;
	struct netaddr_client client;
	struct tls_facts tls;
	int authfd;
	unsigned failures, max_failures;
	long fail_delay;
	struct imap_limits lim;
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

static void
write_caps(struct login *l, struct buf *b)
{
	unsigned mode = IMAP_CAPS_PREAUTH;

	if (!l->tls.active && tlsctl_available())
		mode |= IMAP_CAPS_STARTTLS;
	if (!plaintext_ok(l))
		mode |= IMAP_CAPS_LOGINDISABLED;
	imap_caps_write(b, mode);
}

static void
reply(struct login *l, const char *tag, const char *text)
{
	io_printf(l->io, "%s %s\r\n", tag, text);
}

/* Send the credentials to the monitor; returns only when the login
 * failed (on success the post-auth server owns the connection). */
static void
try_login(struct login *l, const char *tag, const char *cmdname,
    const char *user, size_t ulen, const char *pass, size_t plen)
{
	struct handoff h;
	struct buf rec = BUF_INIT;
	enum auth_answer a;
	char uv[128];

	log_value(uv, sizeof(uv), user, ulen);
	if (io_flush(l->io) != IO_OK)
		exit(0);
	handoff_init(&h);
	snprintf(h.service, sizeof(h.service), "imap");
	buf_puts(&h.tag, tag);
	buf_puts(&h.command, cmdname);
	if (io_pending(l->io) > HANDOFF_PIPELINED_MAX) {
		handoff_free(&h);
		reply(l, tag, "NO [LIMIT] Too much pipelined after the login");
		return;
	}
	io_peek_pending(l->io, &h.pipelined);
	h.tls = l->tls;
	snprintf(h.remote_ip, sizeof(h.remote_ip), "%s", l->client.remote_ip);
	snprintf(h.remote_port, sizeof(h.remote_port), "%s", l->client.remote_port);
	h.fail_count = l->failures;
	/* Only a name the record can carry (printable ASCII, see
	 * handoff.h): any other (UTF-8, a space) would make postern-imapd
	 * refuse the whole record and lose the tag; it then takes the name
	 * from the checker's $USER instead. */
	(void)tls_fact_copy(h.user, sizeof(h.user), user, ulen);
	handoff_encode(&h, &rec);
	handoff_free(&h);
	if (l->authfd < 0)
		a = AUTH_UNAVAILABLE;
	else
		a = authclient_check(l->authfd, user, ulen, pass, plen, rec.p,
		    rec.len, AUTH_TIMEOUT_MS);
	buf_free(&rec);
	switch (a) {
	case AUTH_YES:
		/* postern-imapd answered the tag and serves the session */
		log_info("auth_handoff", "user=%s", uv);
		exit(0);
	case AUTH_NO: {
		long d = l->fail_delay;
		unsigned i;
		l->failures++;
		log_info("auth_failed", "user=%s ip=%s failures=%u", uv,
		    l->client.remote_ip, l->failures);
		for (i = 1; i < l->failures && d < 15; i++)
			d *= 2;
		if (d > 15)
			d = 15;
		if (d > 0)
			sleep((unsigned)d);
		reply(l, tag, "NO [AUTHENTICATIONFAILED] Authentication failed");
		if (l->failures >= l->max_failures) {
			io_puts(l->io, "* BYE Too many authentication failures\r\n");
			io_flush(l->io);
			exit(0);
		}
		return;
	}
	case AUTH_TEMPFAIL:
		log_warn("auth_tempfail", "user=%s", uv);
		reply(l, tag, "NO [UNAVAILABLE] Temporary authentication failure, try again later");
		return;
	default:
		log_error("auth_unavailable", "user=%s", uv);
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
	if (!plaintext_ok(l)) {
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
	enum sasl_status st;
	const char *ir = NULL;
	size_t irlen = 0;

	if (c->nargs < 1 || c->nargs > 2 || c->args[0].type != IMAP_ARG_ATOM ||
	    (c->nargs == 2 && c->args[1].type != IMAP_ARG_ATOM)) {
		reply(l, c->tag, "BAD AUTHENTICATE needs a mechanism");
		return;
	}
	if (!plaintext_ok(l)) {
		reply(l, c->tag, "NO [PRIVACYREQUIRED] Plaintext authentication disallowed without TLS");
		return;
	}
	if (sasl_mech_lookup(c->args[0].p, c->args[0].len) == SASL_MECH_NONE) {
		reply(l, c->tag, "NO [CANNOT] Unsupported authentication mechanism");
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
		io_printf(l->io, "+ %s\r\n", buf_cstr(&sasl.challenge));
		if (io_flush(l->io) != IO_OK)
			exit(0);
		r = io_getline(l->io, SASL_MAX_LINE + 2, &line, &len);
		if (r == IO_TOOLONG) {
			sasl_clear(&sasl);
			reply(l, c->tag, "BAD Authentication line too long");
			return;
		}
		if (r != IO_OK)
			exit(0);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		st = sasl_step(&sasl, line, len);
	}
	if (st == SASL_CANCEL) {
		sasl_clear(&sasl);
		reply(l, c->tag, "BAD Authentication cancelled");
		return;
	}
	if (st == SASL_ERROR) {
		io_printf(l->io, "%s BAD %s\r\n", c->tag,
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
	char reason[128], line[256];
	int n;

	if (c->nargs != 0) {
		reply(l, c->tag, "BAD STARTTLS takes no arguments");
		return;
	}
	if (l->tls.active || !tlsctl_available()) {
		reply(l, c->tag, "BAD TLS is not available here");
		return;
	}
	n = snprintf(line, sizeof(line), "%s OK Begin TLS negotiation now\r\n",
	    c->tag);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		reply(l, c->tag, "BAD Tag too long");
		return;
	}
	if (tlsctl_starttls(l->io, line, (size_t)n, &l->tls, reason,
	    sizeof(reason)) < 0) {
		log_info("starttls_failed", "reason=\"%s\"", reason);
		exit(0);
	}
	log_info("starttls", "version=%s cipher=%s", l->tls.version,
	    l->tls.cipher);
}

static void
cmd_id(struct login *l, struct imap_cmd *c)
{
	if (c->nargs != 1 || (!imap_arg_is_nil(&c->args[0]) &&
	    c->args[0].type != IMAP_ARG_LIST)) {
		reply(l, c->tag, "BAD ID takes a list or NIL");
		return;
	}
	io_puts(l->io, "* ID (\"name\" \"postern\")\r\n");
	reply(l, c->tag, "OK ID completed");
}

static void
cmd_capability(struct login *l, struct imap_cmd *c)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "* CAPABILITY ");
	write_caps(l, &b);
	buf_puts(&b, "\r\n");
	io_write(l->io, b.p, b.len);
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
	l.cfg = cfg;
	(void)netaddr_client(&l.client);
	(void)tlsenv_read(&l.tls);
	l.authfd = authclient_fd();
	l.max_failures = (unsigned)config_int(cfg, "imap_auth_failures");
	if (l.max_failures == 0)
		l.max_failures = 1;
	l.fail_delay = (long)config_int(cfg, "imap_auth_fail_delay");
	imap_limits_default(&l.lim);
	l.lim.max_line = LOGIN_LINE_MAX;
	l.lim.max_literal = 1024;
	l.lim.max_command = 4 * LOGIN_LINE_MAX;
	l.lim.max_args = 32;
	l.lim.max_depth = 4;
	l.lim.literal_hard_cap = 64 * 1024;

	priv_drop_preauth(cfg);   /* before the first read (rule 1) */

	l.io = io_new(0, 1, (int)config_int(cfg, "imap_login_timeout") * 1000);
	buf_puts(&b, "* OK [CAPABILITY ");
	write_caps(&l, &b);
	buf_puts(&b, "] postern IMAP ready\r\n");
	io_write(l.io, b.p, b.len);
	buf_free(&b);
	log_info("connect", "ip=%s tls=%s", l.client.remote_ip,
	    l.tls.active ? l.tls.version : "no");

	for (;;) {
		struct imap_cmd *c = NULL;
		char tag[80], reason[160];
		int r;

		if (io_flush(l.io) != IO_OK)
			return 0;
		r = imap_read_command(l.io, &l.lim, 1, &c, tag, sizeof(tag),
		    reason, sizeof(reason));
		if (r == IMAP_READ_EOF)
			return 0;
		if (r == IMAP_READ_TIMEOUT) {
			io_puts(l.io, "* BYE Autologout; too slow\r\n");
			io_flush(l.io);
			return 0;
		}
		if (r == IMAP_READ_BAD) {
			io_printf(l.io, "%s BAD %s\r\n", tag, reason);
			continue;
		}
		if (r == IMAP_READ_TOOBIG) {
			io_printf(l.io, "%s NO [TOOBIG] %s\r\n", tag, reason);
			continue;
		}
		if (r != IMAP_READ_OK) {
			if (r == IMAP_READ_FATAL) {
				io_printf(l.io, "* BYE %s\r\n", reason);
				io_flush(l.io);
			}
			return 0;
		}
		if (strcmp(c->name, "CAPABILITY") == 0)
			cmd_capability(&l, c);
		else if (strcmp(c->name, "NOOP") == 0)
			reply(&l, c->tag, c->nargs ? "BAD NOOP takes no arguments" :
			    "OK NOOP completed");
		else if (strcmp(c->name, "LOGOUT") == 0) {
			io_puts(l.io, "* BYE Logging out\r\n");
			reply(&l, c->tag, "OK LOGOUT completed");
			io_flush(l.io);
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
