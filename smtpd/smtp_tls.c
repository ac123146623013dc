/* smtp_tls.c: STARTTLS (RFC 3207) through postern-tls's control
 * descriptor (common/tlsctl.h): postern-tls sends our 220 itself, the
 * connection comes back as a fresh socket on fds 0/1, everything the
 * client pipelined behind STARTTLS is dropped, and the session starts over
 * (RFC 3207 4.2: no HELO, no transaction; EHLO lists what applies). */
#include <string.h>

#include "io.h"
#include "log.h"
#include "smtpd.h"
#include "tlsctl.h"

void
smtp_cmd_starttls(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct buf ready = BUF_INIT;
	char reason[128];
	struct tls_facts f;
	size_t pending;

	if (c->has_arg) {
		smtp_error(s, RP_SYNTAX, "STARTTLS takes no argument");
		return;
	}
	if (s->tls.active) {
		smtp_error(s, RP_BAD_SEQ, "TLS already active");
		return;
	}
	if (!s->tls_ctl_available) {
		smtp_error(s, RP_NOT_IMPL, NULL);
		return;
	}
	pending = io_pending(s->io);
	smtp_reply_format(&ready, RP_TLS_READY, NULL, 0);
	tls_facts_clear(&f);
	if (tlsctl_starttls(s->io, ready.p, ready.len, &f, reason, sizeof(reason)) < 0) {
		buf_free(&ready);
		log_warn("starttls-failed", "reason=\"%s\"", reason);
		s->quit = 1;
		return;
	}
	buf_free(&ready);
	s->tls = f;
	s->tls_ctl_available = 0;
	/* RFC 3207 4.2: forget everything learned before the handshake. */
	smtp_reset_transaction(s);
	s->helo_done = 0;
	s->esmtp = 0;
	s->helo[0] = '\0';
	s->auth_user[0] = '\0';
	log_info("starttls", "version=%s cipher=%s discarded=%zu", f.version,
	    f.cipher, pending);
}
