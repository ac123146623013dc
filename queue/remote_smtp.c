/* remote_smtp.c: postern-remote's SMTP client session (RFC 5321 with
 * PIPELINING, SIZE, 8BITMIME, SMTPUTF8, DSN, STARTTLS, AUTH PLAIN) on one
 * connection, with per-recipient results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

#include "base64.h"
#include "buf.h"
#include "esmtp_params.h"
#include "log.h"
#include "mime7bit.h"
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

void
remote_message_init(struct remote_message *m, int fd, unsigned long long size)
{
	memset(m, 0, sizeof *m);
	m->fd = fd;
	m->size = size;
	m->fd7 = -1;
}

void
remote_message_free(struct remote_message *m)
{
	if (m->fd7 >= 0)
		close(m->fd7);
	m->fd7 = -1;
}

/* 0, or -1 when the message cannot be read */
static int
message_scan(struct remote_message *m)
{
	if (m->scanned)
		return 0;
	if (mime7bit_scan_fd(m->fd, m->size, &m->eightbit, &m->header8) < 0)
		return -1;
	m->scanned = 1;
	return 0;
}

/* The 7-bit version for a hop without 8BITMIME (RFC 6152 3): made once.
 * MIME7BIT_CONVERTED with m->fd7 set, MIME7BIT_CLEAN (send as is), or a
 * negative mime7bit status with m->conv_why. */
static int
message_7bit(struct remote_message *m)
{
	if (!m->conv_tried) {
		m->conv_tried = 1;
		m->conv_status = mime7bit_convert_fd(m->fd, m->size, &m->fd7, &m->size7,
		    m->conv_why, sizeof m->conv_why);
	}
	return m->conv_status;
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
	snprintf(res->mta, sizeof res->mta, "%s", s->host);
}

/* A 4xx from this host: the recipient stays open for the next host
 * (RFC 5321 5.1; Postfix does the same), with this reply remembered in
 * case no later host settles it. */
static void
set_deferred(struct remote_result *res, const struct session *s)
{
	set_result(res, 0, s, "4.0.0");
	res->deferred = 1;
}

/* Every recipient of this session (active[i]) not yet answered finally:
 * deferred with the current reply. */
static void
defer_active(struct remote_result *res, const int *active, size_t n,
    const struct session *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (active[i] && (res[i].cls == 0 || res[i].cls == 3))
			set_deferred(&res[i], s);
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
    unsigned long long size, struct buf *b)
{
	buf_printf(b, "MAIL FROM:<%s>", req->sender);
	if (s->max_size)
		buf_printf(b, " SIZE=%llu", size);
	if (s->has_8bit && req->body == ESMTP_BODY_8BITMIME)
		buf_puts(b, " BODY=8BITMIME");
	/* RFC 6531 3.4: a message flagged SMTPUTF8 keeps the flag */
	if (s->has_utf8 && req->smtputf8)
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
send_body(struct session *s, int msgfd, unsigned long long size)
{
	char *chunk = xmalloc(CHUNK);
	struct buf out = BUF_INIT;
	off_t off = 0;
	int bol = 1, last_cr = 0, ended_nl = 1;
	ssize_t n;

	for (;;) {
		n = (unsigned long long)off >= size ? 0 : pread(msgfd, chunk,
		    size - (unsigned long long)off < CHUNK ?
		    (size_t)(size - (unsigned long long)off) : CHUNK, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(s->why, sizeof s->why, "reading the message: %s",
			    strerror(errno));
			free(chunk);
			buf_free(&out);
			return -2;
		}
		if (n == 0 && (unsigned long long)off < size) {
			snprintf(s->why, sizeof s->why, "reading the message: %s",
			    "shorter than its size");
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

/* RFC 6152 / 6531: what this hop can take.  0 go on (*sendfd, *size
 * set); -1 the recipients fail permanently with *status (s->why); -2 a
 * local error (the message unreadable: temporary). */
static int
check_hop(struct session *s, const struct spawn_request *req,
    struct remote_message *m, const int *active, int *sendfd,
    unsigned long long *size, const char **status)
{
	size_t i;
	int utf8_addr = non_ascii(req->sender), rc;

	*sendfd = m->fd;
	*size = req->size;
	for (i = 0; i < req->nrcpts; i++)
		if (active[i] && non_ascii(req->rcpts[i].addr))
			utf8_addr = 1;
	/* RFC 6531 3.2: an SMTPUTF8 message (UTF-8 in an address or a header
	 * field; Postfix looks at the same) needs an SMTPUTF8 hop */
	if (req->smtputf8 && !s->has_utf8) {
		if (!utf8_addr && message_scan(m) < 0) {
			snprintf(s->why, sizeof s->why, "reading the message: %s",
			    strerror(errno));
			return -2;
		}
		if (utf8_addr || m->header8) {
			snprintf(s->why, sizeof s->why,
			    "%s does not support SMTPUTF8, which the message needs",
			    s->host);
			*status = "5.6.7";
			return -1;
		}
	}
	if (s->has_8bit)
		return 0;
	/* no 8BITMIME: 8-bit content goes as 7 bit or not at all (RFC 6152
	 * 3; RFC 1652 "conversion to 7 bit") */
	if (message_scan(m) < 0) {
		snprintf(s->why, sizeof s->why, "reading the message: %s",
		    strerror(errno));
		return -2;
	}
	if (!m->eightbit)
		return 0;     /* BODY=8BITMIME but 7-bit content: as is */
	rc = message_7bit(m);
	if (rc == MIME7BIT_CONVERTED) {
		*sendfd = m->fd7;
		*size = m->size7;
		log_info("converted-7bit", "host=%s size=%llu", s->host, m->size7);
		return 0;
	}
	if (rc == MIME7BIT_CLEAN)
		return 0;
	if (rc == MIME7BIT_ERROR) {
		snprintf(s->why, sizeof s->why, "converting the message: %s",
		    m->conv_why);
		return -2;
	}
	snprintf(s->why, sizeof s->why,
	    "%s does not support 8BITMIME and the message cannot be converted to 7 bit: %s",
	    s->host, m->conv_why);
	*status = "5.6.3";
	return -1;
}

int
remote_session(struct conn *c, const char *host,
    const struct remote_settings *set, const struct spawn_request *req,
    struct remote_message *msg, struct remote_result *res, char *why,
    size_t whylen, int *tls_failed)
{
	struct session s;
	struct buf b = BUF_INIT;
	size_t i, accepted = 0, nactive = 0;
	unsigned long long size = 0;
	int *active, rc, sendfd = msg->fd;
	const char *status = "5.6.3";

	memset(&s, 0, sizeof s);
	s.c = c;
	s.host = host;
	s.set = set;
	*tls_failed = 0;
	/* only the recipients no earlier host settled */
	active = xcalloc(req->nrcpts ? req->nrcpts : 1, sizeof *active);
	for (i = 0; i < req->nrcpts; i++)
		if (res[i].cls == 0) {
			active[i] = 1;
			nactive++;
		}
	if (nactive == 0)
		goto out;
	if (read_reply(&s, set->t_greeting) < 0)
		goto next;
	if (smtp_reply_class(&s.r) != 2) {
		reply_why(&s, "connect");
		goto next_reply;
	}
	if (hello(&s) < 0)
		goto next_reply;
	if (set->tls != ROUTE_TLS_NONE && s.has_starttls) {
		if (starttls(&s, set->tls == ROUTE_TLS_MUST, tls_failed) < 0)
			goto next_reply;
	} else if (set->tls == ROUTE_TLS_MUST) {
		snprintf(s.why, sizeof s.why, "%s: STARTTLS not offered but required",
		    host);
		goto next;
	}
	if (set->auth_user && auth_plain(&s) < 0)
		goto next_reply;

	rc = check_hop(&s, req, msg, active, &sendfd, &size, &status);
	if (rc == -1) {
		set_all(res, req->nrcpts, 5, 0, status, s.why);
		goto quit;
	}
	if (rc == -2) {
		set_all(res, req->nrcpts, 4, 0, "4.3.0", s.why);
		goto quit;
	}
	if (s.max_size && size > s.max_size) {
		snprintf(s.why, sizeof s.why,
		    "message larger than %s accepts (SIZE %llu)", host,
		    s.max_size);
		set_all(res, req->nrcpts, 5, 0, "5.3.4", s.why);
		goto quit;
	}

	/* MAIL and RCPTs: one group with PIPELINING (RFC 2920), else one by
	 * one */
	mail_command(&s, req, size, &b);
	if (s.has_pipelining)
		for (i = 0; i < req->nrcpts; i++)
			if (active[i])
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
		goto next_reply;   /* 4xx: another host may take it */
	}
	for (i = 0; i < req->nrcpts; i++) {
		if (!active[i])
			continue;
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
		if (smtp_reply_class(&s.r) == 5)
			set_result(&res[i], 5, &s, "5.0.0");
		else
			set_deferred(&res[i], &s);
		if (s.r.code == 421)
			goto next;   /* the server is closing the connection */
	}
	if (accepted == 0)
		goto quit;
	if (command(&s, set->t_data, "DATA") < 0)
		goto next;
	if (s.r.code != 354) {
		reply_why(&s, "DATA");
		for (i = 0; i < req->nrcpts; i++)
			if (res[i].cls == 3) {
				if (smtp_reply_class(&s.r) == 5)
					set_result(&res[i], 5, &s, "5.0.0");
				else
					set_deferred(&res[i], &s);
			}
		goto quit;
	}
	rc = send_body(&s, sendfd, size);
	if (rc < 0) {
		/* the message may or may not have arrived (RFC 5321 6.1):
		 * retry later, never bounce, and not at the next host now */
		for (i = 0; i < req->nrcpts; i++)
			if (res[i].cls == 3) {
				res[i].cls = 4;
				res[i].code = 0;
				snprintf(res[i].status, sizeof res[i].status, "4.4.2");
				snprintf(res[i].diag, sizeof res[i].diag, "%s", s.why);
				snprintf(res[i].mta, sizeof res[i].mta, "%s", host);
			}
		goto out;
	}
	reply_why(&s, "end of data");
	for (i = 0; i < req->nrcpts; i++)
		if (res[i].cls == 3) {
			unsigned cls = smtp_reply_class(&s.r);
			if (cls == 2) {
				set_result(&res[i], 2, &s, "2.0.0");
				/* RFC 3461 6.2: a hop without DSN ends our
				 * knowledge; the success is "relayed" */
				res[i].relayed = !s.has_dsn;
			} else if (cls == 5)
				set_result(&res[i], 5, &s, "5.0.0");
			else
				set_deferred(&res[i], &s);
		}
quit:
	conn_write(c, "QUIT\r\n", 6);
	if (send_cmd(&s, set->t_command) == 0)
		(void)read_reply(&s, set->t_command);
	goto out;
next_reply:
	/* a 4xx (or other) reply to the greeting, EHLO, STARTTLS, AUTH or
	 * MAIL: the recipients are deferred with it, for the next host */
	if (smtp_reply_class(&s.r) == 4)
		defer_active(res, active, req->nrcpts, &s);
next:
	for (i = 0; i < req->nrcpts; i++)
		if (res[i].cls == 3)
			res[i].cls = 0;
	if (conn_pending_out(c) == 0) {
		conn_write(c, "QUIT\r\n", 6);
		(void)conn_flush(c, 1000);
	}
out:
	buf_free(&b);
	snprintf(why, whylen, "%s", s.why[0] ? s.why : "session failed");
	rc = 1;
	for (i = 0; i < req->nrcpts; i++)
		if (res[i].cls == 0)
			rc = 0;
	free(active);
	return rc;
}
