/* smtp_auth.c: AUTH (RFC 4954) on the submission services: PLAIN and
 * LOGIN through common/sasl.h, initial response allowed; the credentials
 * go to the root monitor (postern-login -y) through common/authclient.h,
 * never checked here (DESIGN.md rule 4).  The monitor delays a "no"; a
 * failure counts toward the error limit.  No password reaches a log:
 * continuation lines are logged redacted by log_command. */
#include <string.h>

#include "authclient.h"
#include "io.h"
#include "log.h"
#include "sasl.h"
#include "smtpd.h"

#define AUTH_TIMEOUT_MS 60000

void
smtp_cmd_auth(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct sasl sa;
	enum sasl_status st;
	const char *ir = NULL, *sp;
	size_t mlen, irlen = 0;
	enum auth_answer ans;

	if (!s->submission) {
		smtp_error(s, RP_NOT_IMPL, NULL);
		return;
	}
	if (!s->esmtp) {
		smtp_error(s, RP_BAD_SEQ, "send EHLO first");
		return;
	}
	if (s->auth_user[0] != '\0') {
		smtp_error(s, RP_BAD_SEQ, "already authenticated");
		return;
	}
	if (s->in_mail) {
		smtp_error(s, RP_BAD_SEQ, "AUTH not allowed during a transaction");
		return;
	}
	if (!smtp_policy_auth_allowed(s)) {
		smtp_error(s, RP_ENCRYPT_REQUIRED, NULL);
		return;
	}
	if (!c->has_arg) {
		smtp_error(s, RP_SYNTAX, "AUTH mechanism [initial-response]");
		return;
	}
	sp = memchr(c->arg, ' ', c->arglen);
	mlen = sp != NULL ? (size_t)(sp - c->arg) : c->arglen;
	if (sp != NULL) {
		ir = sp + 1;
		irlen = c->arglen - mlen - 1;
	}
	if (sasl_mech_lookup(c->arg, mlen) == SASL_MECH_NONE) {
		smtp_error(s, RP_MECH_UNKNOWN, NULL);
		return;
	}
	sasl_init(&sa);
	st = sasl_start(&sa, c->arg, mlen, ir, irlen);
	while (st == SASL_CONTINUE) {
		const char *line;
		size_t len;
		int r;

		smtp_reply(s, RP_AUTH_CHALLENGE, buf_cstr(&sa.challenge));
		if (io_flush(s->io) != IO_OK) {
			s->quit = 1;
			sasl_clear(&sa);
			return;
		}
		io_set_timeout(s->io, s->cmd_timeout_ms);
		r = io_getline(s->io, SASL_MAX_LINE + 2, &line, &len);
		if (r == IO_TIMEOUT) {
			smtp_reply(s, RP_TIMEOUT, NULL);
			s->quit = 1;
			sasl_clear(&sa);
			return;
		}
		if (r == IO_EOF || r == IO_ERROR) {
			s->quit = 1;
			sasl_clear(&sa);
			return;
		}
		if (s->log_commands)
			log_command("auth-response", line, len, 1);
		if (r == IO_TOOLONG || len < 2 || line[len - 1] != '\n' ||
		    line[len - 2] != '\r') {
			sasl_clear(&sa);
			smtp_error(s, RP_SYNTAX, "bad AUTH response line");
			return;
		}
		st = sasl_step(&sa, line, len - 2);
	}
	if (st == SASL_CANCEL) {
		sasl_clear(&sa);
		smtp_error(s, RP_AUTH_CANCELLED, NULL);
		return;
	}
	if (st == SASL_ERROR) {
		const char *why = sa.error != NULL ? sa.error : "bad response";
		sasl_clear(&sa);
		smtp_error(s, RP_SYNTAX, why);
		return;
	}
	ans = authclient_check(s->auth_fd, sa.user.p, sa.user.len,
	    sa.password.p, sa.password.len, NULL, 0, AUTH_TIMEOUT_MS);
	switch (ans) {
	case AUTH_YES:
		if (sa.user.len >= sizeof(s->auth_user)) {
			smtp_error(s, RP_AUTH_FAILED, NULL);
			break;
		}
		memcpy(s->auth_user, sa.user.p, sa.user.len);
		s->auth_user[sa.user.len] = '\0';
		log_info("auth", "user=%s result=ok", s->auth_user);
		smtp_reply(s, RP_AUTH_OK, NULL);
		break;
	case AUTH_NO:
		{
			char u[128];
			log_value(u, sizeof(u), sa.user.p, sa.user.len);
			log_info("auth", "user=%s result=fail", u);
		}
		smtp_error(s, RP_AUTH_FAILED, NULL);
		break;
	default:
		log_warn("auth", "result=tempfail answer=%d", (int)ans);
		smtp_reply(s, RP_AUTH_TEMP, NULL);
		break;
	}
	sasl_clear(&sa);
}
