/* remote_smtp.c: postern-remote's SMTP client session (RFC 5321 with
 * PIPELINING, SIZE, 8BITMIME, SMTPUTF8, DSN, STARTTLS, AUTH PLAIN) on one
 * connection, with per-recipient results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "esmtp_params.h"
#include "log.h"
#include "remote.h"
#include "routes.h"

#define CHUNK 65536

struct session {
	struct conn *c;
	const char *host;
	const struct remote_settings *set;
	struct smtp_reply r;
	char why[512];
	int ehlo;
	int has_pipelining, has_8bit, has_utf8, has_dsn, has_starttls;
	int has_auth_plain;
	unsigned long long max_size;
};

void
remote_stuff(struct buf *out, const char *p, size_t len, int *bol,
    int *last_cr)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		char ch = p[i];
		if (*bol && ch == '.') {
			/* RFC 5321 4.5.2: a leading dot is doubled */
			buf_append(out, p + start, i - start);
			buf_putc(out, '.');
			start = i;
		}
		if (ch == '\n') {
			buf_append(out, p + start, i - start);
			buf_append(out, *last_cr ? "\n" : "\r\n", *last_cr ? 1 : 2);
			start = i + 1;
			*bol = 1;
		} else
			*bol = 0;
		*last_cr = ch == '\r';
	}
	buf_append(out, p + start, len - start);
}

/* reads one reply; 0 complete, -1 with s->why set */
static int
read_reply(struct session *s, int timeout_ms)
{
	const char *line;
	size_t len;
	int rc;

	smtp_reply_init(&s->r);
	for (;;) {
		rc = conn_getline(s->c, SMTP_REPLY_MAX_LINE, timeout_ms, &line, &len);
		if (rc != CONN_OK) {
			snprintf(s->why, sizeof s->why, "%s: %s", s->host,
			    rc == CONN_TIMEOUT ? "timed out waiting for a reply" :
			    rc == CONN_EOF ? "connection closed" :
			    rc == CONN_TOOLONG ? "reply line too long" :
			    "read error");
			return -1;
		}
		rc = smtp_reply_feed(&s->r, line, len);
		if (rc < 0) {
			snprintf(s->why, sizeof s->why, "%s: malformed reply",
			    s->host);
			return -1;
		}
		if (rc == 1)
			return 0;
	}
}

static int
send_cmd(struct session *s, int timeout_ms)
{
	if (conn_flush(s->c, timeout_ms) != CONN_OK) {
		snprintf(s->why, sizeof s->why, "%s: write failed or timed out",
		    s->host);
		return -1;
	}
	return 0;
}

/* one command, one reply */
static int
command(struct session *s, int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int
command(struct session *s, int timeout_ms, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "\r\n");
	conn_write(s->c, b.p, b.len);
	buf_free(&b);
	if (send_cmd(s, timeout_ms) < 0)
		return -1;
	return read_reply(s, timeout_ms);
}

static void
reply_why(struct session *s, const char *when)
{
	char d[400];

	smtp_reply_diag(&s->r, d, sizeof d);
	snprintf(s->why, sizeof s->why, "%s said after %s: %s", s->host, when, d);
}

static void
set_result(struct remote_result *res, unsigned cls, const struct session *s,
    const char *defstatus)
{
	res->cls = cls;
	res->code = s->r.code;
	snprintf(res->status, sizeof res->status, "%s",
	    s->r.status[0] ? s->r.status : defstatus);
	snprintf(res->diag, sizeof res->diag, "%s", s->why);
}

static void
set_all(struct remote_result *res, size_t n, unsigned cls, unsigned code,
    const char *status, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (res[i].cls == 0) {
			res[i].cls = cls;
			res[i].code = code;
			snprintf(res[i].status, sizeof res[i].status, "%s", status);
			snprintf(res[i].diag, sizeof res[i].diag, "%s", why);
		}
}

static void
read_ehlo(struct session *s)
{
	const char *p;
	size_t n;

	s->has_pipelining = smtp_reply_ehlo_has(&s->r, "PIPELINING", NULL, NULL);
	s->has_8bit = smtp_reply_ehlo_has(&s->r, "8BITMIME", NULL, NULL);
	s->has_utf8 = smtp_reply_ehlo_has(&s->r, "SMTPUTF8", NULL, NULL);
	s->has_dsn = smtp_reply_ehlo_has(&s->r, "DSN", NULL, NULL);
	s->has_starttls = smtp_reply_ehlo_has(&s->r, "STARTTLS", NULL, NULL);
	s->has_auth_plain = 0;
	if (smtp_reply_ehlo_has(&s->r, "AUTH", &p, &n)) {
		size_t i = 0;
		while (i < n) {
			size_t j = i;
			while (j < n && p[j] != ' ')
				j++;
			if (j - i == 5 && strncasecmp(p + i, "PLAIN", 5) == 0)
				s->has_auth_plain = 1;
			i = j + 1;
		}
	}
	s->max_size = 0;
	if (smtp_reply_ehlo_has(&s->r, "SIZE", &p, &n)) {
		size_t i;
		unsigned long long v = 0;
		for (i = 0; i < n && p[i] >= '0' && p[i] <= '9' && i < 19; i++)
			v = v * 10 + (unsigned)(p[i] - '0');
		s->max_size = v;
	}
}

/* EHLO, falling back to HELO on a 5xx other than 421 (RFC 5321 4.1.4) */
static int
hello(struct session *s)
{
	if (command(s, s->set->t_command, "EHLO %s", s->set->helo) < 0)
		return -1;
	if (smtp_reply_class(&s->r) == 2) {
		s->ehlo = 1;
		read_ehlo(s);
		return 0;
	}
	if (smtp_reply_class(&s->r) == 5 && s->r.code != 421) {
		s->ehlo = 0;
		s->has_pipelining = s->has_8bit = s->has_utf8 = s->has_dsn = 0;
		s->has_starttls = s->has_auth_plain = 0;
		s->max_size = 0;
		if (command(s, s->set->t_command, "HELO %s", s->set->helo) < 0)
			return -1;
		if (smtp_reply_class(&s->r) == 2)
			return 0;
	}
	reply_why(s, "EHLO/HELO");
	return -1;
}

/* RFC 3461 4: xtext */
static void
xtext(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 33 || c > 126 || c == '+' || c == '=')
			buf_printf(b, "+%02X", c);
		else
			buf_putc(b, (char)c);
	}
}

static int
non_ascii(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static void
mail_command(struct session *s, const struct spawn_request *req,
    int utf8_needed, struct buf *b)
{
	buf_printf(b, "MAIL FROM:<%s>", req->sender);
	if (s->max_size)
		buf_printf(b, " SIZE=%llu", (unsigned long long)req->size);
	if (s->has_8bit && req->body == ESMTP_BODY_8BITMIME)
		buf_puts(b, " BODY=8BITMIME");
	if (s->has_utf8 && utf8_needed)
		buf_puts(b, " SMTPUTF8");
	if (s->has_dsn) {
		if (req->ret == ESMTP_RET_FULL)
			buf_puts(b, " RET=FULL");
		else if (req->ret == ESMTP_RET_HDRS)
			buf_puts(b, " RET=HDRS");
		if (req->envid && *req->envid) {
			buf_puts(b, " ENVID=");
			xtext(b, req->envid);
		}
	}
	buf_puts(b, "\r\n");
}

static void
rcpt_command(struct session *s, const struct spawn_rcpt *r, struct buf *b)
{
	buf_printf(b, "RCPT TO:<%s>", r->addr);
	if (s->has_dsn && r->notify) {
		const char *sep = "";
		buf_puts(b, " NOTIFY=");
		if (r->notify & ESMTP_NOTIFY_NEVER)
			buf_puts(b, "NEVER");
		else {
			if (r->notify & ESMTP_NOTIFY_SUCCESS) {
				buf_puts(b, "SUCCESS");
				sep = ",";
			}
			if (r->notify & ESMTP_NOTIFY_FAILURE) {
				buf_printf(b, "%sFAILURE", sep);
				sep = ",";
			}
			if (r->notify & ESMTP_NOTIFY_DELAY)
				buf_printf(b, "%sDELAY", sep);
		}
	}
	if (s->has_dsn && r->orcpt_type && r->orcpt) {
		buf_printf(b, " ORCPT=%s;", r->orcpt_type);
		xtext(b, r->orcpt);
	}
	buf_puts(b, "\r\n");
}

static int
starttls(struct session *s, int verify, int *tls_failed)
{
	char err[300];

	if (command(s, s->set->t_command, "STARTTLS") < 0)
		return -1;
	if (s->r.code != 220) {
		reply_why(s, "STARTTLS");
		return -1;
	}
	/* RFC 3207 5: nothing may follow the 220 before the handshake */
	if (conn_pending_in(s->c) > 0) {
		snprintf(s->why, sizeof s->why,
		    "%s: data after the STARTTLS reply (smuggling)", s->host);
		return -1;
	}
	if (conn_starttls(s->c, s->host, verify, s->set->cafile,
	    s->set->priority, s->set->t_command, err, sizeof err) < 0) {
		snprintf(s->why, sizeof s->why, "%s: %s", s->host, err);
		*tls_failed = 1;
		return -1;
	}
	log_info("tls", "host=%s tls=%s verified=%s", s->host,
	    conn_tls_desc(s->c), verify ? "yes" : "no");
	return hello(s);
}

static int
auth_plain(struct session *s)
{
	struct buf raw = BUF_INIT, enc = BUF_INIT;
	int rc;

	if (!conn_is_tls(s->c) && !conn_is_loopback(s->c)) {
		snprintf(s->why, sizeof s->why,
		    "%s: refusing to send credentials without TLS", s->host);
		return -1;
	}
	if (!s->has_auth_plain) {
		snprintf(s->why, sizeof s->why, "%s: AUTH PLAIN not offered",
		    s->host);
		return -1;
	}
	buf_putc(&raw, '\0');
	buf_puts(&raw, s->set->auth_user);
	buf_putc(&raw, '\0');
	buf_puts(&raw, s->set->auth_pass);
	base64_encode(raw.p, raw.len, &enc);
	explicit_bzero(raw.p, raw.len);
	buf_free(&raw);
	conn_write(s->c, "AUTH PLAIN ", 11);
	conn_write(s->c, enc.p, enc.len);
	conn_write(s->c, "\r\n", 2);
	explicit_bzero(enc.p, enc.len);
	buf_free(&enc);
	rc = send_cmd(s, s->set->t_command) < 0 ? -1 :
	    read_reply(s, s->set->t_command);
	if (rc < 0)
		return -1;
	if (smtp_reply_class(&s->r) != 2) {
		reply_why(s, "AUTH");
		return -1;
	}
	return 0;
}

static int
send_body(struct session *s, int msgfd)
{
	char *chunk = xmalloc(CHUNK);
	struct buf out = BUF_INIT;
	off_t off = 0;
	int bol = 1, last_cr = 0, ended_nl = 1;
	ssize_t n;

	for (;;) {
		n = pread(msgfd, chunk, CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(s->why, sizeof s->why, "reading the message: %s",
			    strerror(errno));
			free(chunk);
			buf_free(&out);
			return -2;
		}
		if (n == 0)
			break;
		off += n;
		buf_reset(&out);
		remote_stuff(&out, chunk, (size_t)n, &bol, &last_cr);
		ended_nl = chunk[n - 1] == '\n';
		conn_write(s->c, out.p, out.len);
		if (send_cmd(s, s->set->t_block) < 0) {
			free(chunk);
			buf_free(&out);
			return -1;
		}
	}
	free(chunk);
	buf_free(&out);
	if (!ended_nl)
		conn_write(s->c, "\r\n", 2);
	conn_write(s->c, ".\r\n", 3);
	if (send_cmd(s, s->set->t_block) < 0)
		return -1;
	return read_reply(s, s->set->t_done);
}

int
remote_session(struct conn *c, const char *host,
    const struct remote_settings *set, const struct spawn_request *req,
    int msgfd, struct remote_result *res, char *why, size_t whylen,
    int *tls_failed)
{
	struct session s;
	struct buf b = BUF_INIT;
	size_t i, accepted = 0;
	int utf8_needed = 0, rc;

	memset(&s, 0, sizeof s);
	s.c = c;
	s.host = host;
	s.set = set;
	*tls_failed = 0;
	if (read_reply(&s, set->t_greeting) < 0)
		goto next;
	if (smtp_reply_class(&s.r) != 2) {
		reply_why(&s, "connect");
		goto next;
	}
	if (hello(&s) < 0)
		goto next;
	if (set->tls != ROUTE_TLS_NONE && s.has_starttls) {
		if (starttls(&s, set->tls == ROUTE_TLS_MUST, tls_failed) < 0)
			goto next;
	} else if (set->tls == ROUTE_TLS_MUST) {
		snprintf(s.why, sizeof s.why, "%s: STARTTLS not offered but required",
		    host);
		goto next;
	}
	if (set->auth_user && auth_plain(&s) < 0)
		goto next;

	/* RFC 6531 3.4: SMTPUTF8 only matters when an address needs it */
	utf8_needed = req->smtputf8 && non_ascii(req->sender);
	for (i = 0; i < req->nrcpts; i++)
		if (req->smtputf8 && non_ascii(req->rcpts[i].addr))
			utf8_needed = 1;
	if (utf8_needed && !s.has_utf8) {
		snprintf(s.why, sizeof s.why, "%s does not support SMTPUTF8",
		    host);
		set_all(res, req->nrcpts, 5, 0, "5.6.7", s.why);
		goto quit;
	}
	if (s.max_size && req->size > s.max_size) {
		snprintf(s.why, sizeof s.why,
		    "message larger than %s accepts (SIZE %llu)", host,
		    s.max_size);
		set_all(res, req->nrcpts, 5, 0, "5.3.4", s.why);
		goto quit;
	}

	/* MAIL and RCPTs: one group with PIPELINING (RFC 2920), else one by
	 * one */
	mail_command(&s, req, utf8_needed, &b);
	if (s.has_pipelining)
		for (i = 0; i < req->nrcpts; i++)
			rcpt_command(&s, &req->rcpts[i], &b);
	conn_write(c, b.p, b.len);
	buf_reset(&b);
	if (send_cmd(&s, set->t_command) < 0 || read_reply(&s, set->t_command) < 0)
		goto next;
	if (smtp_reply_class(&s.r) != 2) {
		int cls = smtp_reply_class(&s.r);
		reply_why(&s, "MAIL FROM");
		if (cls == 5) {
			set_all(res, req->nrcpts, 5, s.r.code,
			    s.r.status[0] ? s.r.status : "5.0.0", s.why);
			goto quit;
		}
		goto next;   /* 4xx: another host may take it */
	}
	for (i = 0; i < req->nrcpts; i++) {
		if (!s.has_pipelining) {
			rcpt_command(&s, &req->rcpts[i], &b);
			conn_write(c, b.p, b.len);
			buf_reset(&b);
			if (send_cmd(&s, set->t_command) < 0)
				goto next;
		}
		if (read_reply(&s, set->t_command) < 0)
			goto next;
		if (smtp_reply_class(&s.r) == 2) {
			accepted++;
			res[i].cls = 3;   /* accepted, pending DATA */
			continue;
		}
		reply_why(&s, "RCPT TO");
		set_result(&res[i], smtp_reply_class(&s.r) == 5 ? 5 : 4, &s,
		    smtp_reply_class(&s.r) == 5 ? "5.0.0" : "4.0.0");
	}
	if (accepted == 0)
		goto quit;
	if (command(&s, set->t_data, "DATA") < 0)
		goto next_accepted;
	if (s.r.code != 354) {
		reply_why(&s, "DATA");
		for (i = 0; i < req->nrcpts; i++)
			if (res[i].cls == 3)
				set_result(&res[i], smtp_reply_class(&s.r) == 5 ? 5 : 4,
				    &s, smtp_reply_class(&s.r) == 5 ? "5.0.0" : "4.0.0");
		goto quit;
	}
	rc = send_body(&s, msgfd);
	if (rc < 0) {
		/* the message may or may not have arrived (RFC 5321 6.1):
		 * retry later, never bounce */
		for (i = 0; i < req->nrcpts; i++)
			if (res[i].cls == 3) {
				res[i].cls = 4;
				res[i].code = 0;
				snprintf(res[i].status, sizeof res[i].status, "4.4.2");
				snprintf(res[i].diag, sizeof res[i].diag, "%s", s.why);
			}
		buf_free(&b);
		snprintf(why, whylen, "%s", s.why);
		return 1;
	}
	reply_why(&s, "end of data");
	for (i = 0; i < req->nrcpts; i++)
		if (res[i].cls == 3) {
			unsigned cls = smtp_reply_class(&s.r);
			set_result(&res[i], cls == 2 ? 2 : cls == 5 ? 5 : 4, &s,
			    cls == 2 ? "2.0.0" : cls == 5 ? "5.0.0" : "4.0.0");
			if (cls == 2)
				snprintf(res[i].diag, sizeof res[i].diag, "%s", s.why);
		}
quit:
	conn_write(c, "QUIT\r\n", 6);
	if (send_cmd(&s, set->t_command) == 0)
		(void)read_reply(&s, set->t_command);
	buf_free(&b);
	snprintf(why, whylen, "%s", s.why);
	return 1;
next_accepted:
	/* DATA not answered: recipients already accepted are retried later */
	for (i = 0; i < req->nrcpts; i++)
		if (res[i].cls == 3)
			res[i].cls = 0;
next:
	for (i = 0; i < req->nrcpts; i++)
		if (res[i].cls == 3)
			res[i].cls = 0;
	if (conn_pending_out(c) == 0) {
		conn_write(c, "QUIT\r\n", 6);
		(void)conn_flush(c, 1000);
	}
	buf_free(&b);
	snprintf(why, whylen, "%s", s.why[0] ? s.why : "session failed");
	return 0;
}
