/* dsn.h: delivery status notifications (RFC 3464) built by postern-send:
 * a multipart/report; report-type=delivery-status message with
 *   1. text/plain        a short explanation for people
 *   2. message/delivery-status   per-message fields (Reporting-MTA,
 *                        Original-Envelope-Id, Arrival-Date), then one
 *                        block per recipient (Original-Recipient,
 *                        Final-Recipient, Action, Status, Remote-MTA,
 *                        Diagnostic-Code, Last-Attempt-Date,
 *                        Will-Retry-Until for "delayed")
 *   3. message/rfc822    the original message (RET=FULL, or RET unset on a
 *                        failure report), or text/rfc822-headers (RET=HDRS,
 *                        reports without a failure, or an original over
 *                        DSN_RETURN_MAX)
 * The output has LF line ends (the queue's form); header values coming
 * from the envelope are stripped of control characters, so nothing in an
 * address can add a header line. */
#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

#include <stddef.h>
#include <stdint.h>

#define DSN_RETURN_MAX (10u * 1024 * 1024)   /* largest original returned whole */
#define DSN_HEADER_MAX (1024u * 1024)        /* largest header returned */

enum dsn_action { DSN_FAILED, DSN_DELAYED, DSN_DELIVERED, DSN_RELAYED, DSN_EXPANDED };

struct dsn_rcpt {
	const char *addr;            /* final recipient */
	const char *orcpt_type;      /* ORCPT address type or NULL */
	const char *orcpt;           /* decoded ORCPT or NULL */
	enum dsn_action action;
	const char *status;          /* "5.1.1"; NULL: "5.0.0"/"2.0.0"/"4.0.0" by action */
	unsigned smtp_code;          /* 0 unknown */
	const char *diag;            /* NULL none */
	const char *remote_mta;      /* NULL for local */
	uint64_t last_attempt;       /* unix seconds, 0 unknown */
	uint64_t will_retry_until;   /* DSN_DELAYED: unix seconds, 0 unknown */
};

struct dsn_info {
	const char *reporting_mta;   /* our host name */
	const char *to;              /* recipient of the report ("" never) */
	const char *envid;           /* NULL none */
	const char *queue_id;        /* for Message-ID and the text, may be NULL */
	uint64_t arrival;            /* unix seconds */
	int ret;                     /* enum esmtp_ret of the original */
	uint64_t now;                /* unix seconds (Date) */
	uint64_t msgsize;            /* the original is msgfd's first msgsize
	                                bytes (a queue file goes on with its
	                                envelope) */
	const char *postmaster_note; /* NULL, or a line saying why the
	                                postmaster gets this (double bounce) */
};

/* Builds the report into out.  The original message comes from msgfd (read
 * with pread from offset 0, info->msgsize bytes) when msgfd >= 0; -1 means it is gone (the
 * report then says so).  0, or -1 when no recipient was given. */
int dsn_build(const struct dsn_info *info, const struct dsn_rcpt *rcpts,
    size_t n, int msgfd, struct buf *out);

/* RFC 5322 date of t (UTC) into out (at least 40 bytes). */
void dsn_date(uint64_t t, char *out, size_t outlen);

#endif
