/* prelogin.c: the shared half of the pre-auth programs
 * (postern-pop3-login, postern-imap-login): session facts, the
 * plaintext_auth rule, the SASL exchange, STARTTLS and the login request
 * to the monitor (DESIGN.md rule 4).  See prelogin.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "authclient.h"
#include "handoff.h"
#include "log.h"
#include "prelogin.h"
#include "privdrop.h"
#include "tlsctl.h"

void
prelogin_init(struct prelogin *pl, const struct config *cfg,
    const char *failures_key, const char *delay_key)
{
	memset(pl, 0, sizeof(*pl));
	pl->cfg = cfg;
	(void)netaddr_client(&pl->client);
	(void)tlsenv_read(&pl->tls);
	pl->authfd = authclient_fd();
	pl->max_failures = (unsigned)config_int(cfg, failures_key);
	if (pl->max_failures == 0)
		pl->max_failures = 1;
	pl->fail_delay = (long)config_int(cfg, delay_key);
}

void
prelogin_start(struct prelogin *pl, const char *timeout_key)
{
	priv_drop_preauth(pl->cfg);   /* before the first read (rule 1) */
	pl->io = io_new(0, 1, (int)config_int(pl->cfg, timeout_key) * 1000);
	log_info("connect", "ip=%s tls=%s", pl->client.remote_ip,
	    pl->tls.active ? pl->tls.version : "no");
}

int
prelogin_plaintext_ok(const struct prelogin *pl)
{
	const char *mode = config_str(pl->cfg, "plaintext_auth");

	if (pl->tls.active)
		return 1;
	if (mode != NULL && strcmp(mode, "yes") == 0)
		return 1;
	if (mode != NULL && strcmp(mode, "loopback") == 0)
		return pl->client.remote_known &&
		    netaddr_is_loopback(&pl->client.remote);
	return 0;
}

int
prelogin_starttls_available(const struct prelogin *pl)
{
	return !pl->tls.active && tlsctl_available();
}

long
prelogin_fail_delay(long base, unsigned failures)
{
	long d = base;
	unsigned i;

	if (d <= 0)
		return 0;
	for (i = 1; i < failures && d < PRELOGIN_FAIL_DELAY_MAX; i++)
		d *= 2;
	return d > PRELOGIN_FAIL_DELAY_MAX ? PRELOGIN_FAIL_DELAY_MAX : d;
}

void
prelogin_starttls(struct prelogin *pl, const char *ready, size_t readylen)
{
	char reason[128];

	if (tlsctl_starttls(pl->io, ready, readylen, &pl->tls, reason,
	    sizeof(reason)) < 0) {
		log_info("starttls_failed", "reason=\"%s\"", reason);
		exit(0);
	}
	log_info("starttls", "version=%s cipher=%s", pl->tls.version,
	    pl->tls.cipher);
}

int
prelogin_sasl(struct prelogin *pl, struct sasl *s, const char *mech,
    size_t mechlen, const char *ir, size_t irlen)
{
	enum sasl_status st;

	sasl_init(s);
	if (sasl_mech_lookup(mech, mechlen) == SASL_MECH_NONE)
		return PRELOGIN_SASL_BADMECH;
	st = sasl_start(s, mech, mechlen, ir, irlen);
	while (st == SASL_CONTINUE) {
		const char *line;
		size_t len;
		int r;

		/* RFC 5034 4, RFC 3501 7.5: "+ " and the base64 challenge */
		io_printf(pl->io, "+ %s\r\n", buf_cstr(&s->challenge));
		if (io_flush(pl->io) != IO_OK)
			exit(0);
		r = io_getline(pl->io, SASL_MAX_LINE + 2, &line, &len);
		if (r == IO_TOOLONG)
			return PRELOGIN_SASL_TOOLONG;
		if (r != IO_OK)
			exit(0);
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		st = sasl_step(s, line, len);
	}
	return st;
}

enum prelogin_result
prelogin_login(struct prelogin *pl, const char *service, const char *tag,
    const char *command, const char *user, size_t ulen, const char *pass,
    size_t plen)
{
	struct handoff h;
	struct buf rec = BUF_INIT;
	enum auth_answer a;
	char uv[128];

	log_value(uv, sizeof(uv), user, ulen);
	if (io_flush(pl->io) != IO_OK)
		exit(0);
	if (io_pending(pl->io) > HANDOFF_PIPELINED_MAX)
		return PRELOGIN_PIPELINED;
	handoff_init(&h);
	snprintf(h.service, sizeof(h.service), "%s", service);
	if (tag != NULL)
		buf_puts(&h.tag, tag);
	buf_puts(&h.command, command);
	io_peek_pending(pl->io, &h.pipelined);
	h.tls = pl->tls;
	snprintf(h.remote_ip, sizeof(h.remote_ip), "%s", pl->client.remote_ip);
	snprintf(h.remote_port, sizeof(h.remote_port), "%s",
	    pl->client.remote_port);
	h.fail_count = pl->failures;
	/* Only a name the record can carry (printable ASCII, see handoff.h):
	 * any other (UTF-8, a space) would make the post-auth server refuse
	 * the whole record and lose the tag; it then takes the name from the
	 * checker's $USER instead. */
	(void)tls_fact_copy(h.user, sizeof(h.user), user, ulen);
	handoff_encode(&h, &rec);
	handoff_free(&h);
	if (pl->authfd < 0)
		a = AUTH_UNAVAILABLE;
	else
		a = authclient_check(pl->authfd, user, ulen, pass, plen, rec.p,
		    rec.len, PRELOGIN_AUTH_TIMEOUT_MS);
	/* the record holds the bytes pipelined behind the command */
	if (rec.len > 0)
		explicit_bzero(rec.p, rec.len);
	buf_free(&rec);
	switch (a) {
	case AUTH_YES:
		/* the post-auth server answered and serves the session */
		log_info("auth_handoff", "user=%s", uv);
		exit(0);
	case AUTH_NO: {
		long d;

		pl->failures++;
		log_info("auth_failed", "user=%s ip=%s failures=%u", uv,
		    pl->client.remote_ip, pl->failures);
		d = prelogin_fail_delay(pl->fail_delay, pl->failures);
		if (d > 0)
			sleep((unsigned)d);
		return pl->failures >= pl->max_failures ? PRELOGIN_TOO_MANY :
		    PRELOGIN_FAILED;
	}
	case AUTH_TEMPFAIL:
		log_warn("auth_tempfail", "user=%s", uv);
		return PRELOGIN_TEMPFAIL;
	default:
		log_error("auth_unavailable", "user=%s", uv);
		return PRELOGIN_UNAVAILABLE;
	}
}
