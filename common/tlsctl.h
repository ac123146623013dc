/* tlsctl.h: STARTTLS/STLS from the protocol side (DESIGN.md rule 2).
 * Under postern-tls without -i, POSTERN_TLS_CTL names a control descriptor
 * (a SOCK_SEQPACKET socket).  The protocol program calls tlsctl_starttls()
 * with its "ready to start TLS" reply: the reply travels in the request,
 * and postern-tls sends it to the client only after it has stopped
 * relaying plaintext, so the first client bytes it reads after the reply
 * are the handshake (a reply written to the data socket first would race
 * with a fast client's ClientHello).  postern-tls answers with the
 * result, the TLS facts and (on success) a fresh data socket passed with
 * SCM_RIGHTS.  tlsctl_starttls puts that socket on fds 0 and 1 and drops
 * everything buffered in the io (RFC 3207 4.2, RFC 2595 3.1), so no byte
 * sent before the handshake is read after it.
 *
 * Wire format (one datagram each way):
 *   request  "STARTTLS\0<reply bytes, e.g. 220 Ready\r\n>"
 *   answer   "OK\0<version>\0<cipher>\0<sni>\0"  + the data socket
 *            "NO\0<reason>\0"                    (connection is dead) */
#ifndef POSTERN_TLSCTL_H
#define POSTERN_TLSCTL_H

#include <stddef.h>
#include "io.h"
#include "tlsenv.h"

#define TLSCTL_ENV "POSTERN_TLS_CTL"
#define TLSCTL_REQUEST "STARTTLS"
#define TLSCTL_MAX 512             /* largest control datagram */
#define TLSCTL_REPLY_MAX (TLSCTL_MAX - sizeof(TLSCTL_REQUEST))

/* The control descriptor from the environment, or -1 (no STARTTLS, or
 * it is not open).  It is marked close-on-exec here: programs this one
 * runs never get it (a monitor that passes it on, postern-login, forks
 * its pre-auth program before calling this). */
int tlsctl_fd(void);
/* 1 when STARTTLS can be offered (a control descriptor is present). */
int tlsctl_available(void);

/* Ask for TLS; reply (replylen bytes, at most TLSCTL_REPLY_MAX, CRLF
 * included) is the protocol's "ready" line that postern-tls sends for us.
 * Flushes io first.  On success returns 0, fds 0 and 1 are the new
 * plaintext socket, io reads from it with nothing buffered, and *f holds
 * the facts; the control descriptor is closed.  On failure returns -1 with
 * a short reason: the session must end. */
int tlsctl_starttls(struct io *io, const char *reply, size_t replylen,
		    struct tls_facts *f, char *reason, size_t reasonlen);

/* postern-tls side: parse a request.  Returns 0 and points *reply into
 * p, or -1 if it is not a STARTTLS request. */
int tlsctl_parse_request(const char *p, size_t len, const char **reply, size_t *replylen);

/* Build an answer (postern-tls side).  Returns its length, or 0 if it
 * does not fit in outlen. */
size_t tlsctl_format_ok(char *out, size_t outlen, const struct tls_facts *f);
size_t tlsctl_format_no(char *out, size_t outlen, const char *reason);
/* Parse an answer: 1 = OK (f filled), 0 = NO (reason filled), -1 malformed.
 * Never reads past p+len. */
int tlsctl_parse_answer(const char *p, size_t len, struct tls_facts *f,
			char *reason, size_t reasonlen);

/* postern-listen -R ("TLS on request"): the command after ADDR PORT is
 * "TLSPROG [TLSARG...] -- PROG [ARG...]".  Returns the index in argv
 * (argc words) of the first "--", which splits the two, when both sides
 * are non-empty; else -1.  Later "--" words belong to PROG (postern-login
 * uses them), so TLSARGs can never contain one. */
int tlsctl_split_chain(char *const *argv, int argc);

/* postern-listen -R, after poll saw the control descriptor ready: 1 when
 * a datagram is pending (a STARTTLS request, left unread for
 * postern-tls), 0 when every other holder closed it (or on an error, or
 * ctl < 0), -1 when nothing has come yet.  Only peeks one byte, with no
 * room for descriptors, without waiting; reads nothing else (DESIGN.md
 * rule 1: the listener is root). */
int tlsctl_peek_request(int ctl);

/* Send/receive one datagram with an optional descriptor (SCM_RIGHTS).
 * tlsctl_recv waits at most timeout_ms; returns the length, 0 at EOF, -1
 * on error or timeout; *fd is -1 when none came (extra ones are closed). */
int tlsctl_send(int sock, const void *p, size_t n, int fd);
ssize_t tlsctl_recv(int sock, void *p, size_t n, int *fd, int timeout_ms);

#endif
