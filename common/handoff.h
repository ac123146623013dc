/* handoff.h: the hand-off record from a pre-auth program to the post-auth
 * server of the same session (DESIGN.md rule 4).  The pre-auth program
 * writes it; postern-login carries it without parsing and gives it to the
 * post-auth program on POSTERN_HANDOFF_FD.
 *
 * Format: "PHO1", then fields, each: 1 byte tag, 4 bytes big-endian
 * length, the bytes.  Unknown tags are skipped; a field may appear once.
 * Sizes are bounded (HANDOFF_MAX in all, limits per field below). */
#ifndef POSTERN_HANDOFF_H
#define POSTERN_HANDOFF_H

#include <stddef.h>
#include "buf.h"
#include "tlsenv.h"

#define HANDOFF_FD_ENV "POSTERN_HANDOFF_FD"
#define HANDOFF_STARTED_ENV "POSTERN_STARTED_FD"
#define HANDOFF_MAX (80 * 1024)       /* whole record */
#define HANDOFF_PIPELINED_MAX (64 * 1024)
#define HANDOFF_LINE_MAX 8192         /* tag, command */

struct handoff {
	char service[32];       /* "imap", "pop3" */
	struct buf tag;         /* pending IMAP tag (or empty) */
	struct buf command;     /* pending command (e.g. "LOGIN"), no CRLF */
	struct buf pipelined;   /* client bytes read behind the credentials */
	struct tls_facts tls;
	char remote_ip[64];
	char remote_port[8];
	unsigned fail_count;    /* failed logins in this session before success */
	char user[256];         /* the name the client logged in with */
};

void handoff_init(struct handoff *h);
void handoff_free(struct handoff *h);

/* Append the record for h to out. */
void handoff_encode(const struct handoff *h, struct buf *out);
/* Parse a record: 0 ok, -1 malformed or over a limit (h is then reset).
 * h must have been handoff_init'ed. */
int handoff_decode(const char *p, size_t len, struct handoff *h);

/* Read one whole record from fd (until EOF), at most HANDOFF_MAX bytes,
 * within timeout_ms; then decode.  0 ok, -1 error. */
int handoff_read_fd(int fd, struct handoff *h, int timeout_ms);

/* For post-auth programs: read the record from POSTERN_HANDOFF_FD, close
 * it, and tell the monitor the server started (one byte on
 * POSTERN_STARTED_FD, then close).  Returns 1 with h filled, 0 when not
 * run under postern-login (no variables: h stays empty), -1 on a bad
 * record (the started byte is still sent: the session is ours). */
int handoff_receive(struct handoff *h);

#endif
