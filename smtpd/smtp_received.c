/* smtp_received.c: the Received: header added as the first line of every
 * stored message (RFC 5321 4.4), with the protocol keyword of RFC 3848 /
 * RFC 6531 (ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTP...), the TLS version
 * and cipher, and the authenticated user. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "envelope.h"
#include "log.h"
#include "smtpd.h"

/* A value safe inside a comment or a header: printable, no parentheses
 * or backslashes, bounded. */
static void
safe(struct buf *b, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_putc(b, (c < 0x21 || c >= 0x7f || c == '(' || c == ')' ||
		    c == '\\') ? '_' : (char)c);
	}
}

void
smtp_received(const struct smtp_session *s, struct buf *out)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	int utf8 = s->env != NULL && s->env->smtputf8;
	const char *proto;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (!s->esmtp)
		proto = s->tls.active ? "SMTPS" : "SMTP";
	else if (s->auth_user[0] != '\0')
		proto = s->tls.active ? (utf8 ? "UTF8SMTPSA" : "ESMTPSA") :
		    (utf8 ? "UTF8SMTPA" : "ESMTPA");
	else
		proto = s->tls.active ? (utf8 ? "UTF8SMTPS" : "ESMTPS") :
		    (utf8 ? "UTF8SMTP" : "ESMTP");

	buf_puts(out, "Received: from ");
	safe(out, s->helo[0] != '\0' ? s->helo : "unknown", SMTP_HELO_MAX);
	buf_printf(out, " ([%s])\r\n\tby ", s->client.remote_ip);
	safe(out, s->hostname, 255);
	buf_printf(out, " (postern) with %s id %s", proto,
	    log_session() != NULL && *log_session() ? log_session() : "-");
	if (s->tls.active) {
		buf_puts(out, "\r\n\t(");
		safe(out, s->tls.version, 32);
		buf_puts(out, " cipher ");
		safe(out, s->tls.cipher, 128);
		buf_puts(out, ")");
	}
	if (s->auth_user[0] != '\0') {
		buf_puts(out, "\r\n\t(authenticated as ");
		safe(out, s->auth_user, 255);
		buf_puts(out, ")");
	}
	if (s->env != NULL && s->env->nrcpts == 1 && !utf8) {
		buf_puts(out, "\r\n\tfor <");
		safe(out, s->env->rcpts[0].addr, 256);
		buf_puts(out, ">");
	}
	buf_printf(out, ";\r\n\t%s\r\n", date);
}
