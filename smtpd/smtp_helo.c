/* smtp_helo.c: HELO and EHLO, and the EHLO capability list (one table:
 * each extension with the condition under which it is offered).  After
 * STARTTLS the session starts over and EHLO lists what applies then. */
#include <stdio.h>
#include <string.h>

#include "io.h"
#include "log.h"
#include "sasl.h"
#include "smtpd.h"

/* The argument: a domain or an address literal; printable ASCII (or UTF-8
 * octets), no spaces inside, at most SMTP_HELO_MAX. */
static int
helo_arg(struct smtp_session *s, const struct smtp_cmd *c)
{
	size_t i;

	if (!c->has_arg) {
		smtp_error(s, RP_SYNTAX, "HELO/EHLO needs a domain");
		return -1;
	}
	if (c->arglen > SMTP_HELO_MAX) {
		smtp_error(s, RP_SYNTAX, "domain too long");
		return -1;
	}
	for (i = 0; i < c->arglen; i++) {
		unsigned char ch = (unsigned char)c->arg[i];
		if (ch <= 0x20 || ch == 0x7f) {
			smtp_error(s, RP_SYNTAX, "bad domain");
			return -1;
		}
	}
	memcpy(s->helo, c->arg, c->arglen);
	s->helo[c->arglen] = '\0';
	return 0;
}

void
smtp_cmd_helo(struct smtp_session *s, const struct smtp_cmd *c)
{
	char greet[512];

	if (helo_arg(s, c) < 0)
		return;
	smtp_reset_transaction(s);
	s->helo_done = 1;
	s->esmtp = 0;
	snprintf(greet, sizeof(greet), "%s", s->hostname);
	smtp_reply(s, RP_HELO, greet);
}

enum cap_when { CAP_ALWAYS, CAP_TLS_OFFER, CAP_AUTH };

static const struct {
	const char *text;       /* "SIZE" gets the limit appended */
	enum cap_when when;
} caps[] = {
	{ "PIPELINING", CAP_ALWAYS },          /* RFC 2920 */
	{ "SIZE", CAP_ALWAYS },                /* RFC 1870 */
	{ "8BITMIME", CAP_ALWAYS },            /* RFC 6152 */
	{ "ENHANCEDSTATUSCODES", CAP_ALWAYS }, /* RFC 2034 */
	{ "STARTTLS", CAP_TLS_OFFER },         /* RFC 3207 */
	{ "SMTPUTF8", CAP_ALWAYS },            /* RFC 6531 */
	{ "CHUNKING", CAP_ALWAYS },            /* RFC 3030 */
	{ "DSN", CAP_ALWAYS },                 /* RFC 3461 */
	{ "AUTH", CAP_AUTH },                  /* RFC 4954 */
	{ "HELP", CAP_ALWAYS },
};

void
smtp_cmd_ehlo(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct buf b = BUF_INIT;
	char first[600];
	size_t i, n = sizeof(caps) / sizeof(caps[0]), last = 0;
	int on[sizeof(caps) / sizeof(caps[0])];

	if (helo_arg(s, c) < 0)
		return;
	smtp_reset_transaction(s);
	s->helo_done = 1;
	s->esmtp = 1;
	for (i = 0; i < n; i++) {
		switch (caps[i].when) {
		case CAP_ALWAYS:
			on[i] = 1;
			break;
		case CAP_TLS_OFFER:
			on[i] = !s->tls.active && s->tls_ctl_available;
			break;
		case CAP_AUTH:
			on[i] = s->submission && s->auth_user[0] == '\0' &&
			    smtp_policy_auth_allowed(s);
			break;
		}
		if (on[i])
			last = i;
	}
	snprintf(first, sizeof(first), "%s greets %s", s->hostname, s->helo);
	smtp_reply_format(&b, RP_HELO, first, 1);
	for (i = 0; i < n; i++) {
		if (!on[i])
			continue;
		buf_printf(&b, "250%c%s", i == last ? ' ' : '-', caps[i].text);
		if (strcmp(caps[i].text, "SIZE") == 0)
			buf_printf(&b, " %llu", (unsigned long long)s->max_size);
		else if (strcmp(caps[i].text, "AUTH") == 0)
			buf_printf(&b, " %s", sasl_mech_names());
		buf_puts(&b, "\r\n");
	}
	io_write(s->io, b.p, b.len);
	buf_free(&b);
}
