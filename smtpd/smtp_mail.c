/* smtp_mail.c: MAIL FROM and RCPT TO: paths through common/smtpaddr.h,
 * parameters through common/esmtp_params.h, recipients through
 * common/recipient.h, the relay and sender policy of smtp_policy.c; the
 * transaction's envelope is built here. */
#include <stdio.h>
#include <string.h>

#include "envelope.h"
#include "log.h"
#include "recipient.h"
#include "smtpaddr.h"
#include "smtpd.h"

static unsigned
extensions(const struct smtp_session *s)
{
	unsigned ext = ESMTP_EXT_SIZE | ESMTP_EXT_8BITMIME | ESMTP_EXT_SMTPUTF8 |
	    ESMTP_EXT_DSN;

	if (s->submission)
		ext |= ESMTP_EXT_AUTH;
	return ext;
}

void
smtp_cmd_mail(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct smtpaddr a;
	struct esmtp_mail_params mp;
	const char *reason = "";
	size_t consumed;
	long at;
	int r;

	if (!s->helo_done) {
		smtp_error(s, RP_BAD_SEQ, "send HELO/EHLO first");
		return;
	}
	if (s->in_mail) {
		smtp_error(s, RP_BAD_SEQ, "nested MAIL command");
		return;
	}
	if (s->submission && s->auth_user[0] == '\0') {
		smtp_error(s, RP_AUTH_REQUIRED, NULL);
		return;
	}
	at = smtp_cmd_path_start(c->arg, c->arglen, "FROM");
	if (at < 0) {
		smtp_error(s, RP_SYNTAX, "MAIL FROM:<address>");
		return;
	}
	if (smtpaddr_parse_path(c->arg + at, c->arglen - (size_t)at,
	    SMTPADDR_ALLOW_NULL | SMTPADDR_UTF8, &a, &consumed, &reason) < 0) {
		smtp_error(s, RP_SENDER_SYNTAX, reason);
		return;
	}
	r = esmtp_parse_mail_params(c->arg + at + consumed,
	    c->arglen - (size_t)at - consumed, s->esmtp ? extensions(s) : 0, &mp, &reason);
	if (r == ESMTP_UNRECOGNIZED) {
		smtp_error(s, RP_PARAM_UNKNOWN, reason);
		return;
	}
	if (r != ESMTP_OK) {
		smtp_error(s, RP_SYNTAX, reason);
		return;
	}
	if (a.has_utf8 && !mp.smtputf8) {
		smtp_error(s, RP_NEED_UTF8, NULL);
		return;
	}
	if (mp.has_size && mp.size > s->max_size) {
		smtp_error(s, RP_TOO_BIG, NULL);
		return;
	}
	if (s->submission && !smtp_policy_sender_ok(s, a.addr, a.domain)) {
		log_info("sender-refused", "user=%s from=%s", s->auth_user, a.addr);
		smtp_error(s, RP_SENDER_NOT_OWNED, NULL);
		return;
	}
	smtp_reset_transaction(s);
	s->env = envelope_new();
	envelope_set(&s->env->sender, a.addr);
	if (mp.has_envid)
		envelope_set(&s->env->envid, mp.envid);
	s->env->ret = (int)mp.ret;
	s->env->body = (int)mp.body;
	s->env->smtputf8 = mp.smtputf8;
	if (mp.has_auth && !mp.auth_null)
		envelope_set(&s->env->auth_param, mp.auth);
	/* The session's facts travel with the message (bounces, Received). */
	if (s->client.remote_known)
		envelope_set(&s->env->client_ip, s->client.remote_ip);
	envelope_set(&s->env->helo, s->helo);
	if (s->auth_user[0] != '\0')
		envelope_set(&s->env->auth_user, s->auth_user);
	if (s->tls.active) {
		envelope_set(&s->env->tls_version, s->tls.version);
		envelope_set(&s->env->tls_cipher, s->tls.cipher);
	}
	if (log_session() != NULL && *log_session() != '\0')
		envelope_set(&s->env->session, log_session());
	s->in_mail = 1;
	log_info("mail", "from=<%s> size=%llu", a.addr,
	    (unsigned long long)(mp.has_size ? mp.size : 0));
	smtp_reply(s, RP_MAIL_OK, NULL);
}

void
smtp_cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct smtpaddr a;
	struct esmtp_rcpt_params rp;
	struct recipient_list list;
	const char *reason = "";
	size_t consumed;
	long at;
	int r, local;

	if (!s->in_mail) {
		smtp_error(s, RP_BAD_SEQ, "send MAIL first");
		return;
	}
	if (s->bdat_active) {
		smtp_error(s, RP_BAD_SEQ, "RCPT during BDAT");
		return;
	}
	at = smtp_cmd_path_start(c->arg, c->arglen, "TO");
	if (at < 0) {
		smtp_error(s, RP_SYNTAX, "RCPT TO:<address>");
		return;
	}
	if (smtpaddr_parse_path(c->arg + at, c->arglen - (size_t)at,
	    SMTPADDR_POSTMASTER | SMTPADDR_UTF8, &a, &consumed, &reason) < 0) {
		smtp_error(s, RP_ADDR_SYNTAX, reason);
		return;
	}
	r = esmtp_parse_rcpt_params(c->arg + at + consumed,
	    c->arglen - (size_t)at - consumed, s->esmtp ? extensions(s) : 0, &rp, &reason);
	if (r == ESMTP_UNRECOGNIZED) {
		smtp_error(s, RP_PARAM_UNKNOWN, reason);
		return;
	}
	if (r != ESMTP_OK) {
		smtp_error(s, RP_SYNTAX, reason);
		return;
	}
	if (a.has_utf8 && !s->env->smtputf8) {
		smtp_error(s, RP_NEED_UTF8, NULL);
		return;
	}
	if (s->env->nrcpts >= s->max_rcpts) {
		/* RFC 5321 4.5.3.1.8: 452 and the client sends the rest later. */
		smtp_reply(s, RP_TOO_MANY_RCPTS, NULL);
		return;
	}
	local = a.is_postmaster ||
	    recipient_domain_is_local(s->rcpt_tables, a.domain, strlen(a.domain));
	if (local) {
		memset(&list, 0, sizeof(list));
		switch (recipient_resolve(s->rcpt_tables, a.addr, strlen(a.addr),
		    &list, &reason)) {
		case RECIPIENT_FOUND:
		case RECIPIENT_NOT_LOCAL:
			break;
		case RECIPIENT_UNKNOWN:
			recipient_list_free(&list);
			log_info("rcpt-unknown", "to=<%s>", a.addr);
			smtp_error(s, RP_UNKNOWN_USER, NULL);
			return;
		case RECIPIENT_LOOP:
			recipient_list_free(&list);
			smtp_error(s, RP_ALIAS_LOOP, NULL);
			return;
		case RECIPIENT_TOO_MANY:
			recipient_list_free(&list);
			smtp_error(s, RP_ALIAS_TOO_MANY, NULL);
			return;
		case RECIPIENT_BAD_ADDRESS:
		default:
			recipient_list_free(&list);
			smtp_error(s, RP_ADDR_SYNTAX, reason);
			return;
		}
		recipient_list_free(&list);
	} else if (!smtp_policy_may_relay(s)) {
		log_info("relay-denied", "to=<%s>", a.addr);
		smtp_error(s, RP_RELAY_DENIED, NULL);
		return;
	}
	envelope_add_rcpt(s->env, a.addr, rp.notify,
	    rp.has_orcpt ? rp.orcpt_type : NULL, rp.has_orcpt ? rp.orcpt : NULL);
	log_info("rcpt", "to=<%s>", a.addr);
	smtp_reply(s, RP_RCPT_OK, NULL);
	if (s->env->nrcpts == 1)
		smtp_queue_prestart(s);
}
