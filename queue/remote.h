/* remote.h: postern-remote's private interfaces: the connection layer
 * (TCP with optional GnuTLS client, deadlines, bounded lines) and the SMTP
 * client session. */
#ifndef POSTERN_REMOTE_H
#define POSTERN_REMOTE_H

#include <stddef.h>
#include <sys/socket.h>

#include "buf.h"
#include "smtpreply.h"
#include "spawnproto.h"

/* --- remote_conn.c --- */

enum conn_status { CONN_OK = 0, CONN_EOF = -1, CONN_TIMEOUT = -2,
	CONN_ERROR = -3, CONN_TOOLONG = -4 };

struct conn;

/* Non-blocking connect with a deadline; NULL with a reason in err. */
struct conn *conn_connect(const struct sockaddr *sa, socklen_t len,
    int timeout_ms, char *err, size_t errlen);
void conn_free(struct conn *c);   /* closes the socket, ends TLS */
/* Read one line (LF-terminated, at most max bytes); *line valid until the
 * next call. */
int conn_getline(struct conn *c, size_t max, int timeout_ms,
    const char **line, size_t *len);
/* Queue bytes; conn_flush writes them all within timeout_ms. */
void conn_write(struct conn *c, const void *p, size_t n);
void conn_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int conn_flush(struct conn *c, int timeout_ms);
size_t conn_pending_out(const struct conn *c);
/* Bytes the server sent that are not read yet (after STARTTLS's 220 a
 * server must not have sent more: RFC 3207 smuggling). */
size_t conn_pending_in(const struct conn *c);
/* TLS client handshake.  verify: check the chain against cafile (or the
 * system CAs when NULL) and the name against host.  0, or -1 with err. */
int conn_starttls(struct conn *c, const char *host, int verify,
    const char *cafile, const char *priority, int timeout_ms,
    char *err, size_t errlen);
int conn_is_tls(const struct conn *c);
/* "TLS1.3:AES-256-GCM" style description, or "" */
const char *conn_tls_desc(const struct conn *c);
int conn_is_loopback(const struct conn *c);

/* --- remote_smtp.c --- */

struct remote_settings {
	const char *helo;            /* our host name */
	int tls;                     /* enum route_tls */
	const char *cafile;
	const char *priority;
	const char *auth_user, *auth_pass;  /* NULL: no AUTH */
	int t_greeting, t_command, t_data, t_block, t_done;  /* ms */
};

/* The outcome for one recipient.  cls is set (2/4/5) once the recipient
 * has a final answer; cls 0 means "try the next host".  A recipient a
 * host deferred (4xx to RCPT, MAIL, DATA or the final dot, RFC 5321 5.1)
 * stays cls 0 with deferred set and that reply in code/status/diag/mta,
 * so that when no later host settles it the caller reports that reply
 * (class 4).  relayed: class 2 at a hop that did not announce DSN
 * (RFC 3461 6.2). */
struct remote_result {
	unsigned cls;
	unsigned code;
	char status[16];
	char diag[512];
	char mta[256];       /* host that answered */
	int deferred;
	int relayed;
};

/* The message of a request: fd holds it with LF line ends, as queued
 * (its first size bytes: a queue file has its envelope after them).
 * A hop without 8BITMIME gets a 7-bit version (common/mime7bit.h), made
 * once on first need and kept in fd7 for the next hosts. */
struct remote_message {
	int fd;
	unsigned long long size;   /* the message is fd's first size bytes */
	int scanned;         /* eightbit/header8 known */
	int eightbit;        /* some octet >= 128 (or NUL) in the message */
	int header8;         /* such an octet in a header field */
	int fd7;             /* converted copy, -1 until made */
	int conv_tried;
	int conv_status;     /* mime7bit status of the conversion, once tried */
	char conv_why[256];
	unsigned long long size7;
};

void remote_message_init(struct remote_message *m, int fd, unsigned long long size);
void remote_message_free(struct remote_message *m);

/* Runs one SMTP session on c: greeting, EHLO/HELO, STARTTLS, AUTH, MAIL,
 * RCPT..., DATA, QUIT, for the recipients still at cls 0 (the others were
 * settled by an earlier host).  host: the name used for TLS and
 * diagnostics.  The message is read from msg (see struct remote_message)
 * with pread.  Returns 1 when every recipient has a final class, 0 when
 * some are left for the next host (*why holds the reason).  *tls_failed
 * is set when the TLS handshake failed (the caller may try again without
 * STARTTLS when TLS is optional). */
int remote_session(struct conn *c, const char *host,
    const struct remote_settings *set, const struct spawn_request *req,
    struct remote_message *msg, struct remote_result *results, char *why, size_t whylen,
    int *tls_failed);

/* Dot-stuffing and CRLF canonicalisation of the LF-stored message
 * (RFC 5321 4.5.2), exposed for tests: appends the converted bytes of
 * p/len to out.  LF becomes CRLF (a CR already in front of an LF is not
 * doubled), a '.' at the start of a line is doubled.  *bol ("at the
 * beginning of a line", start with 1) and *last_cr (start with 0) carry
 * the state across calls. */
void remote_stuff(struct buf *out, const char *p, size_t len, int *bol,
    int *last_cr);

#endif
