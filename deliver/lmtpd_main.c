/* lmtpd_main.c: postern-lmtpd, one LMTP session (RFC 2033) on stdin and
 * stdout, so that postern can be the mailbox backend of another MTA.
 *
 *   postern-lmtpd [-c CONF]
 *
 * Started as root (by postern-listen, inetd, systemd) it loads the
 * recipient tables, then drops to the LMTP user before its first read.
 * RCPT is checked through common/recipient.h; after DATA each accepted
 * recipient gets its own reply, with the result of its delivery through
 * postern-lspawn's socket (spawnproto; lspawn runs postern-deliver as
 * the recipient's uid).  LMTP does not relay: a domain that is not local
 * is refused. */

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>

#include "buf.h"
#include "config.h"
#include "esmtp_params.h"
#include "io.h"
#include "lmtpd.h"
#include "log.h"
#include "privdrop.h"
#include "recipient.h"
#include "smtpaddr.h"
#include "spawnproto.h"
#include "svcusers.h"

#define MAX_COMMAND_LINE 2048
#define MAX_ERRORS       10

struct session {
	struct io *io;
	const struct config *cfg;
	struct recipient_tables *tables;
	const char *hostname;
	char lhlo[256];
	int greeted;
	int errors;
	struct lmtp_txn txn;
	uint64_t max_size;
	size_t max_rcpts;
	char lspawn_path[512];
};

static void
reply(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
reply(struct session *s, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_puts(&b, "\r\n");
	io_write(s->io, b.p, b.len);
	buf_free(&b);
}

void
lmtp_txn_reset(struct lmtp_txn *t)
{
	size_t i;

	for (i = 0; i < t->nrcpts; i++) {
		free(t->rcpts[i].addr);
		free(t->rcpts[i].orcpt_type);
		free(t->rcpts[i].orcpt);
	}
	free(t->rcpts);
	free(t->sender);
	memset(t, 0, sizeof *t);
}

/* "FROM:" / "TO:" then optional spaces; returns the offset of '<' or -1 */
static long
path_start(const char *arg, size_t len, const char *kw)
{
	size_t k = strlen(kw), i;

	if (len < k || strncasecmp(arg, kw, k) != 0)
		return -1;
	for (i = k; i < len && arg[i] == ' '; i++)
		;
	return i < len && arg[i] == '<' ? (long)i : -1;
}

static void
cmd_lhlo(struct session *s, const char *arg, size_t len)
{
	if (len == 0) {
		reply(s, "501 5.5.4 LHLO needs a host name");
		return;
	}
	snprintf(s->lhlo, sizeof s->lhlo, "%.*s", (int)(len < 200 ? len : 200), arg);
	for (char *p = s->lhlo; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			*p = '?';
	s->greeted = 1;
	lmtp_txn_reset(&s->txn);
	reply(s, "250-%s", s->hostname);
	reply(s, "250-PIPELINING");
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250-8BITMIME");
	reply(s, "250-SMTPUTF8");
	reply(s, "250-DSN");
	reply(s, "250 SIZE %llu", (unsigned long long)s->max_size);
}

static void
cmd_mail(struct session *s, const char *arg, size_t len)
{
	struct smtpaddr a;
	const char *why;
	size_t used;
	long at = path_start(arg, len, "FROM:");

	if (!s->greeted) {
		reply(s, "503 5.5.1 LHLO first");
		return;
	}
	if (s->txn.has_mail) {
		reply(s, "503 5.5.1 nested MAIL");
		return;
	}
	if (at < 0 || smtpaddr_parse_path(arg + at, len - (size_t)at,
	    SMTPADDR_ALLOW_NULL | SMTPADDR_UTF8, &a, &used, &why) < 0) {
		reply(s, "501 5.1.7 %s", at < 0 ? "syntax: MAIL FROM:<address>" : why);
		s->errors++;
		return;
	}
	if (esmtp_parse_mail_params(arg + at + used, len - (size_t)at - used,
	    ESMTP_EXT_SIZE | ESMTP_EXT_8BITMIME | ESMTP_EXT_SMTPUTF8 | ESMTP_EXT_DSN,
	    &s->txn.mp, &why) != ESMTP_OK) {
		reply(s, "555 5.5.4 %s", why);
		s->errors++;
		return;
	}
	if (a.has_utf8 && !s->txn.mp.smtputf8) {
		reply(s, "553 5.6.7 non-ASCII address needs SMTPUTF8");
		return;
	}
	if (s->txn.mp.has_size && s->txn.mp.size > s->max_size) {
		reply(s, "552 5.3.4 message too large");
		return;
	}
	s->txn.has_mail = 1;
	s->txn.sender = xstrdup(a.addr);
	reply(s, "250 2.1.0 sender ok");
}

static void
cmd_rcpt(struct session *s, const char *arg, size_t len)
{
	struct recipient_list list = { 0 };
	struct esmtp_rcpt_params rp;
	struct lmtp_rcpt *r;
	struct smtpaddr a;
	const char *why;
	size_t used;
	long at = path_start(arg, len, "TO:");
	enum recipient_status st;

	if (!s->txn.has_mail) {
		reply(s, "503 5.5.1 MAIL first");
		return;
	}
	if (at < 0 || smtpaddr_parse_path(arg + at, len - (size_t)at,
	    SMTPADDR_POSTMASTER | (s->txn.mp.smtputf8 ? SMTPADDR_UTF8 : 0),
	    &a, &used, &why) < 0) {
		reply(s, "501 5.1.3 %s", at < 0 ? "syntax: RCPT TO:<address>" : why);
		s->errors++;
		return;
	}
	if (esmtp_parse_rcpt_params(arg + at + used, len - (size_t)at - used,
	    ESMTP_EXT_DSN, &rp, &why) != ESMTP_OK) {
		reply(s, "555 5.5.4 %s", why);
		s->errors++;
		return;
	}
	if (s->txn.nrcpts >= s->max_rcpts) {
		reply(s, "452 4.5.3 too many recipients");
		return;
	}
	st = recipient_resolve(s->tables, a.addr, strlen(a.addr), &list, &why);
	recipient_list_free(&list);
	switch (st) {
	case RECIPIENT_FOUND:
		break;
	case RECIPIENT_NOT_LOCAL:
		reply(s, "550 5.1.2 <%s>: not a local domain", a.addr);
		return;
	case RECIPIENT_LOOP:
		reply(s, "550 5.4.6 <%s>: %s", a.addr, why);
		return;
	case RECIPIENT_TOO_MANY:
		reply(s, "550 5.3.4 <%s>: %s", a.addr, why);
		return;
	case RECIPIENT_BAD_ADDRESS:
		reply(s, "501 5.1.3 <%s>: %s", a.addr, why);
		return;
	default:
		reply(s, "550 5.1.1 <%s>: no such user", a.addr);
		return;
	}
	s->txn.rcpts = xreallocarray(s->txn.rcpts, s->txn.nrcpts + 1,
	    sizeof *s->txn.rcpts);
	r = &s->txn.rcpts[s->txn.nrcpts++];
	memset(r, 0, sizeof *r);
	r->addr = xstrdup(a.addr);
	r->notify = rp.notify;
	if (rp.has_orcpt) {
		r->orcpt_type = xstrdup(rp.orcpt_type);
		r->orcpt = xstrdup(rp.orcpt);
	}
	reply(s, "250 2.1.5 <%s> ok", a.addr);
}

static int
cmd_data(struct session *s)
{
	struct buf received = BUF_INIT;
	char date[64];
	time_t now = time(NULL);
	uint64_t size;
	int too_big, too_long, rc, fd;
	size_t i;

	if (!s->txn.has_mail || s->txn.nrcpts == 0) {
		reply(s, "503 5.5.1 %s", s->txn.has_mail ? "no valid recipients" :
		    "MAIL first");
		return 0;
	}
	fd = memfd_create("postern-lmtp", MFD_CLOEXEC);
	if (fd < 0) {
		reply(s, "451 4.3.0 cannot store the message");
		return 0;
	}
	reply(s, "354 3.0.0 end data with <CR><LF>.<CR><LF>");
	if (io_flush(s->io) != IO_OK) {
		close(fd);
		return -1;
	}
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", localtime(&now));
	buf_printf(&received, "Received: from %s\n\tby %s (postern-lmtpd) with LMTP id %s;\n\t%s\n",
	    s->lhlo, s->hostname, log_session() ? log_session() : "-", date);
	rc = lmtp_data_read(s->io, fd, &received, s->max_size, 65536, &size,
	    &too_big, &too_long);
	buf_free(&received);
	if (rc < 0) {
		close(fd);
		return -1;
	}
	if (rc == 1 || too_big || too_long) {
		for (i = 0; i < s->txn.nrcpts; i++)
			reply(s, rc == 1 ? "451 4.3.0 <%s>: cannot store the message" :
			    too_big ? "552 5.3.4 <%s>: message too large" :
			    "500 5.5.2 <%s>: line too long", s->txn.rcpts[i].addr);
	} else {
		lmtp_deliver(s->lspawn_path, fd, size, log_session(), &s->txn,
		    (int)(config_int(s->cfg, "delivery_timeout") * 1000 > 0 ?
		    config_int(s->cfg, "delivery_timeout") * 1000 : 3600000));
		for (i = 0; i < s->txn.nrcpts; i++) {
			const struct lmtp_rcpt *r = &s->txn.rcpts[i];
			log_info("delivery", "rcpt=%s class=%u status=%s diag=%s",
			    r->addr, r->cls, r->status, r->diag);
			reply(s, "%u %s <%s> %s", r->code, r->status, r->addr, r->diag);
		}
	}
	close(fd);
	lmtp_txn_reset(&s->txn);
	return 0;
}

static void
lspawn_path(struct session *s)
{
	const char *p = config_str(s->cfg, "lspawn_socket");
	const char *q = config_str(s->cfg, "queue_dir");

	if (p)
		snprintf(s->lspawn_path, sizeof s->lspawn_path, "%s", p);
	else if (q) {
		char *copy = xstrdup(q);
		snprintf(s->lspawn_path, sizeof s->lspawn_path, "%s/run/%s",
		    dirname(copy), SPAWN_LSPAWN_SOCKET);
		free(copy);
	} else
		snprintf(s->lspawn_path, sizeof s->lspawn_path, "/nonexistent");
}

int
main(int argc, char **argv)
{
	struct session s;
	struct config *cfg;
	char err[512];
	int opt;

	log_init("postern-lmtpd", 0);
	log_new_session();
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt == 'c')
			setenv("POSTERN_CONF", optarg, 1);
		else
			errx(100, "usage: postern-lmtpd [-c CONF]");
	}
	cfg = config_load_or_die();
	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.hostname = config_hostname(cfg);
	s.max_size = (uint64_t)config_int(cfg, "lmtp_max_message_size");
	s.max_rcpts = (size_t)config_int(cfg, "lmtp_max_recipients");
	lspawn_path(&s);
	s.tables = recipient_tables_load(cfg, err, sizeof err);
	if (!s.tables) {
		log_error("tables", "error=%s", err);
		printf("421 4.3.0 %s configuration error\r\n", s.hostname);
		return 111;
	}
	if (priv_is_root()) {
		char user[SVCUSER_NAME_MAX + 1];
		if (svcusers_name(config_str(cfg, "user_prefix"), SVCUSER_LMTP,
		    user, sizeof user) < 0)
			errx(111, "bad user_prefix");
		priv_drop(user, NULL, PRIV_NOCHROOT | PRIV_NO_NEW_PRIVS);
	} else
		priv_limits(0);
	s.io = io_new(0, 1, (int)(config_int(cfg, "lmtp_timeout") * 1000));
	reply(&s, "220 %s LMTP postern ready", s.hostname);
	for (;;) {
		const char *line, *arg;
		size_t len, vlen, alen;
		int rc;

		if (io_flush_if_idle(s.io) != IO_OK && s.io->out_error)
			break;
		rc = io_getline(s.io, MAX_COMMAND_LINE, &line, &len);
		if (rc == IO_TOOLONG) {
			reply(&s, "500 5.5.2 line too long");
			if (++s.errors >= MAX_ERRORS)
				break;
			continue;
		}
		if (rc != IO_OK) {
			if (rc == IO_TIMEOUT) {
				reply(&s, "421 4.4.2 %s timeout", s.hostname);
				io_flush(s.io);
			}
			break;
		}
		if (len && line[len - 1] == '\n')
			len--;
		if (len && line[len - 1] == '\r')
			len--;
		for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
			;
		arg = line + vlen + (vlen < len);
		alen = len - vlen - (vlen < len);
		if (vlen == 4 && strncasecmp(line, "LHLO", 4) == 0)
			cmd_lhlo(&s, arg, alen);
		else if (vlen == 4 && strncasecmp(line, "MAIL", 4) == 0)
			cmd_mail(&s, arg, alen);
		else if (vlen == 4 && strncasecmp(line, "RCPT", 4) == 0)
			cmd_rcpt(&s, arg, alen);
		else if (vlen == 4 && strncasecmp(line, "DATA", 4) == 0) {
			if (cmd_data(&s) < 0)
				break;
		} else if (vlen == 4 && strncasecmp(line, "RSET", 4) == 0) {
			lmtp_txn_reset(&s.txn);
			reply(&s, "250 2.0.0 ok");
		} else if (vlen == 4 && strncasecmp(line, "NOOP", 4) == 0)
			reply(&s, "250 2.0.0 ok");
		else if (vlen == 4 && strncasecmp(line, "VRFY", 4) == 0)
			reply(&s, "252 2.5.2 send some mail, I'll try my best");
		else if (vlen == 4 && strncasecmp(line, "QUIT", 4) == 0) {
			reply(&s, "221 2.0.0 %s closing", s.hostname);
			break;
		} else if (vlen == 4 && (strncasecmp(line, "HELO", 4) == 0 ||
		    strncasecmp(line, "EHLO", 4) == 0)) {
			/* RFC 2033 4.1: LMTP has LHLO only */
			reply(&s, "500 5.5.1 this is LMTP: use LHLO");
			s.errors++;
		} else {
			reply(&s, "500 5.5.2 unknown command");
			s.errors++;
		}
		if (s.errors >= MAX_ERRORS) {
			reply(&s, "421 4.7.0 %s too many errors", s.hostname);
			break;
		}
	}
	io_flush(s.io);
	lmtp_txn_reset(&s.txn);
	io_free(s.io);
	recipient_tables_free(s.tables);
	config_free(cfg);
	return 0;
}
