/* authclient.h: the pre-auth side of postern-login (DESIGN.md rule 4).
 * An unprivileged pre-auth program (pop3-login, imap-login, smtpd) never
 * checks a password: it sends the credentials and, in exec mode, the
 * hand-off record to its root monitor over POSTERN_AUTH_FD and reads a
 * one-byte answer.
 *
 * Request:  4-byte big-endian body length, then the body:
 *           2-byte length + user, 2-byte length + password, then the
 *           hand-off record (possibly empty) to the end of the body.
 *           Descriptor 0 travels with the first byte (SCM_RIGHTS): the
 *           connection as the program has it now (after STARTTLS it is
 *           not the one the monitor started it with); in exec mode the
 *           post-auth server gets it as fds 0 and 1.
 * Answer:   'Y' yes, 'N' no, 'T' temporary failure.
 * In exec mode "yes" means the post-auth server has taken over the
 * connection and already answered: the pre-auth program exits at once
 * without writing to the client. */
#ifndef POSTERN_AUTHCLIENT_H
#define POSTERN_AUTHCLIENT_H

#include <stddef.h>

#define AUTHCLIENT_ENV "POSTERN_AUTH_FD"
/* user + password must leave room for the timestamp in the 512-byte
 * checkpassword record. */
#define AUTHCLIENT_CRED_MAX 480
#define AUTHCLIENT_HDR 4

enum auth_answer {
	AUTH_YES = 0,
	AUTH_NO = 1,
	AUTH_TEMPFAIL = 2,
	AUTH_UNAVAILABLE = 3   /* no monitor, or it went away */
};

/* The monitor descriptor from the environment, or -1. */
int authclient_fd(void);

/* Send one request and wait for the answer (at most timeout_ms).
 * handoff/hlen may be NULL/0 (yes/no mode).  Credentials containing NUL
 * or longer than AUTHCLIENT_CRED_MAX give AUTH_NO without asking. */
enum auth_answer authclient_check(int fd, const char *user, size_t ulen,
				  const char *pass, size_t plen,
				  const void *handoff, size_t hlen, int timeout_ms);

/* Monitor side: parse a request body (after the 4-byte header).
 * Returns 0 and points into p, or -1 if malformed. */
int authclient_parse_request(const char *p, size_t len,
			     const char **user, size_t *ulen,
			     const char **pass, size_t *plen,
			     const char **handoff, size_t *hlen);
/* Monitor side: read the 4-byte header and the descriptor that comes
 * with it (*fd = -1 if none).  1 ok, 0 EOF, -1 error.  Waits forever. */
int authclient_read_header(int sock, unsigned char hdr[AUTHCLIENT_HDR], int *fd);
/* Body length from the 4-byte header. */
size_t authclient_body_len(const unsigned char hdr[AUTHCLIENT_HDR]);

#endif
