/* dsn.c: builder of RFC 3464 delivery status notifications (dsn.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dsn.h"
#include "esmtp_params.h"

void
dsn_date(uint64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outlen, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* Append s with control characters (CR, LF, ...) replaced by spaces. */
static void
put_clean(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static const char *
action_word(enum dsn_action a)
{
	switch (a) {
	case DSN_FAILED: return "failed";
	case DSN_DELAYED: return "delayed";
	case DSN_DELIVERED: return "delivered";
	case DSN_RELAYED: return "relayed";
	default: return "expanded";
	}
}

static const char *
default_status(enum dsn_action a)
{
	return a == DSN_FAILED ? "5.0.0" : a == DSN_DELAYED ? "4.0.0" : "2.0.0";
}

/* Is status "d.ddd.ddd" with a class matching the action? */
static int
status_ok(const char *s)
{
	size_t i = 0, parts = 0, digits = 0;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5'))
		return 0;
	for (; s[i]; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (++digits > 3)
				return 0;
		} else if (s[i] == '.' && digits > 0) {
			parts++;
			digits = 0;
		} else
			return 0;
	}
	return parts == 2 && digits > 0 && i < 16;
}

/* Read the original: the header (up to the blank line) or everything. */
static int
read_original(int fd, uint64_t size, int headers_only, struct buf *out,
    int *truncated)
{
	char chunk[65536];
	off_t off = 0;
	ssize_t n = 0;

	*truncated = 0;
	while ((uint64_t)off < size && (n = pread(fd, chunk,
	    size - (uint64_t)off < sizeof(chunk) ? (size_t)(size - (uint64_t)off) :
	    sizeof(chunk), off)) > 0) {
		buf_append(out, chunk, (size_t)n);
		off += n;
		if (headers_only) {
			char *e = out->len && out->p[0] == '\n' ? out->p :
			    memmem(out->p, out->len, "\n\n", 2);

			if (e != NULL) {
				out->len = (size_t)(e - out->p) + 1;
				return 0;
			}
			if (out->len > DSN_HEADER_MAX) {
				out->len = DSN_HEADER_MAX;
				*truncated = 1;
				return 0;
			}
		} else if (out->len > DSN_RETURN_MAX) {
			return -1;
		}
	}
	return n < 0 ? -1 : 0;
}

static int
has_8bit(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->p[i] >= 0x80)
			return 1;
	return 0;
}

int
dsn_build(const struct dsn_info *in, const struct dsn_rcpt *r, size_t n,
    int msgfd, struct buf *out)
{
	char date[64], boundary[96];
	size_t i, failed = 0, delivered = 0, delayed = 0, relayed = 0;
	struct buf orig = BUF_INIT;
	int headers_only, have_orig = 0, truncated = 0;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (r[i].action == DSN_FAILED)
			failed++;
		else if (r[i].action == DSN_DELAYED)
			delayed++;
		else if (r[i].action == DSN_RELAYED)
			relayed++;
		else
			delivered++;
	}
	dsn_date(in->now, date, sizeof(date));
	snprintf(boundary, sizeof(boundary), "=_postern-dsn-%llu-%08lx%08lx",
	    (unsigned long long)in->now, (unsigned long)random(), (unsigned long)random());

	buf_puts(out, "From: Mail Delivery System <MAILER-DAEMON@");
	put_clean(out, in->reporting_mta);
	buf_puts(out, ">\nTo: <");
	put_clean(out, in->to);
	buf_puts(out, ">\nSubject: ");
	buf_puts(out, failed ? "Undelivered Mail Returned to Sender" :
	    delayed ? "Delayed Mail (still being retried)" :
	    "Successful Mail Delivery Report");
	buf_printf(out, "\nDate: %s\nMessage-ID: <%llu.", date,
	    (unsigned long long)in->now);
	put_clean(out, in->queue_id ? in->queue_id : "dsn");
	buf_puts(out, ".dsn@");
	put_clean(out, in->reporting_mta);
	buf_puts(out, ">\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"");
	buf_puts(out, boundary);
	buf_puts(out, "\"\n\nThis is a MIME-encapsulated delivery status notification.\n");

	/* 1: for people */
	buf_printf(out, "\n--%s\nContent-Type: text/plain; charset=us-ascii\n"
	    "Content-Description: Notification\n\n", boundary);
	buf_puts(out, "This is the mail system at host ");
	put_clean(out, in->reporting_mta);
	buf_puts(out, ".\n\n");
	if (in->postmaster_note) {
		put_clean(out, in->postmaster_note);
		buf_puts(out, "\n\n");
	}
	if (failed)
		buf_puts(out, "Your message could not be delivered to the recipients below.\n"
		    "This is a permanent error.\n\n");
	if (delayed)
		buf_puts(out, "Your message has not been delivered yet to the recipients below.\n"
		    "The mail system will keep trying.\n\n");
	if (delivered)
		buf_puts(out, "Your message was delivered to the recipients below.\n\n");
	if (relayed)
		buf_puts(out, "Your message was passed on for the recipients below to a\n"
		    "mail system that does not send delivery reports; no further\n"
		    "report will follow from there.\n\n");
	for (i = 0; i < n; i++) {
		buf_puts(out, "<");
		put_clean(out, r[i].addr);
		buf_printf(out, ">: %s", action_word(r[i].action));
		if (r[i].diag) {
			buf_puts(out, ": ");
			put_clean(out, r[i].diag);
		}
		buf_putc(out, '\n');
	}

	/* 2: for programs (RFC 3464 2.2, 2.3) */
	buf_printf(out, "\n--%s\nContent-Type: message/delivery-status\n"
	    "Content-Description: Delivery report\n\nReporting-MTA: dns; ", boundary);
	put_clean(out, in->reporting_mta);
	buf_putc(out, '\n');
	if (in->envid) {
		/* RFC 3464 2.2.1: xtext */
		buf_puts(out, "Original-Envelope-Id: ");
		xtext_encode(out, in->envid, strlen(in->envid));
		buf_putc(out, '\n');
	}
	if (in->arrival) {
		dsn_date(in->arrival, date, sizeof(date));
		buf_printf(out, "Arrival-Date: %s\n", date);
	}
	for (i = 0; i < n; i++) {
		const char *st = status_ok(r[i].status) ? r[i].status :
		    default_status(r[i].action);

		buf_putc(out, '\n');
		if (r[i].orcpt && r[i].orcpt_type) {
			buf_puts(out, "Original-Recipient: ");
			put_clean(out, r[i].orcpt_type);
			buf_puts(out, "; ");
			put_clean(out, r[i].orcpt);
			buf_putc(out, '\n');
		}
		buf_puts(out, "Final-Recipient: rfc822; ");
		put_clean(out, r[i].addr);
		buf_printf(out, "\nAction: %s\nStatus: %s\n", action_word(r[i].action), st);
		if (r[i].remote_mta) {
			buf_puts(out, "Remote-MTA: dns; ");
			put_clean(out, r[i].remote_mta);
			buf_putc(out, '\n');
		}
		if (r[i].diag || r[i].smtp_code) {
			buf_puts(out, "Diagnostic-Code: smtp; ");
			if (r[i].smtp_code)
				buf_printf(out, "%u %s ", r[i].smtp_code, st);
			put_clean(out, r[i].diag ? r[i].diag : "");
			buf_putc(out, '\n');
		}
		if (r[i].last_attempt) {
			dsn_date(r[i].last_attempt, date, sizeof(date));
			buf_printf(out, "Last-Attempt-Date: %s\n", date);
		}
		if (r[i].action == DSN_DELAYED && r[i].will_retry_until) {
			/* RFC 3464 2.3.9 */
			dsn_date(r[i].will_retry_until, date, sizeof(date));
			buf_printf(out, "Will-Retry-Until: %s\n", date);
		}
	}

	/* 3: the original (RFC 3461 4.3 RET) */
	/* RET asks for the message in a "failed" report (RFC 3461 4.3); a
	 * report of successes or delays carries the headers only */
	headers_only = in->ret == ESMTP_RET_HDRS || !failed;
	if (msgfd >= 0) {
		if (!headers_only && read_original(msgfd, in->msgsize, 0, &orig, &truncated) < 0) {
			buf_reset(&orig);
			headers_only = 1;
		}
		if (headers_only)
			have_orig = read_original(msgfd, in->msgsize, 1, &orig, &truncated) == 0;
		else
			have_orig = 1;
	}
	if (have_orig) {
		buf_printf(out, "\n--%s\nContent-Type: %s\n", boundary,
		    headers_only ? "text/rfc822-headers" : "message/rfc822");
		if (has_8bit(&orig))
			buf_puts(out, "Content-Transfer-Encoding: 8bit\n");
		buf_puts(out, headers_only ? "Content-Description: Undelivered message headers\n\n" :
		    "Content-Description: Undelivered message\n\n");
		buf_append(out, orig.p, orig.len);
		if (orig.len == 0 || orig.p[orig.len - 1] != '\n')
			buf_putc(out, '\n');
	}
	buf_printf(out, "\n--%s--\n", boundary);
	buf_free(&orig);
	(void)truncated;
	return 0;
}
