/* lmtpd.h: postern-lmtpd's private interfaces: the transaction state, the
 * DATA reader and the delivery through postern-lspawn's socket. */
#ifndef POSTERN_LMTPD_H
#define POSTERN_LMTPD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "esmtp_params.h"
#include "io.h"

struct lmtp_rcpt {
	char *addr;               /* canonical (smtpaddr) */
	unsigned notify;
	char *orcpt_type, *orcpt;
	/* result */
	unsigned cls, code;
	char status[16];
	char diag[256];
};

struct lmtp_txn {
	int has_mail;
	char *sender;             /* "" for <> */
	struct esmtp_mail_params mp;
	struct lmtp_rcpt *rcpts;
	size_t nrcpts;
};

void lmtp_txn_reset(struct lmtp_txn *t);

/* lmtp_data_read: reads the message text up to the lone "." line (RFC 5321
 * 4.5.2: a leading dot removed; CRLF stored as LF) into the open file fd,
 * after the text in prefix.  At most max octets are written; more is
 * read and dropped and *too_big set; a line over max_line likewise sets
 * *too_long.  Returns 0; 1 when the file could not be written (a
 * temporary failure for every recipient); or an io_status (< 0) when the
 * client went away or timed out (the session ends then). */
int lmtp_data_read(struct io *io, int fd, const struct buf *prefix,
    uint64_t max, size_t max_line, uint64_t *size, int *too_big,
    int *too_long);

/* lmtp_deliver: one request per recipient to lspawn's socket at path,
 * the message as fd; fills each recipient's result (class 4 for anything
 * that did not come back within timeout_ms). */
void lmtp_deliver(const char *path, int fd, uint64_t size,
    const char *session, struct lmtp_txn *t, int timeout_ms);

#endif
