/* sasl.h: server side of SASL PLAIN (RFC 4616) and LOGIN, a small state
 * machine the protocol servers drive (SMTP AUTH, RFC 4954; IMAP
 * AUTHENTICATE, RFC 3501 / SASL-IR RFC 4959; POP3 AUTH, RFC 5034).
 *
 *     sasl_start(s, mech, initial response or NULL)
 *         -> SASL_CONTINUE: send s->challenge (base64, may be empty) as
 *            "334 ..." / "+ ..." and pass the client's next line to
 *            sasl_step;
 *         -> SASL_DONE: s->user / s->password hold the credentials;
 *         -> SASL_ERROR: s->error says why (never holds secrets);
 *     sasl_step(s, line) -> the same, or SASL_CANCEL for "*".
 *
 * The initial response "=" means an empty one (RFC 4954 4, RFC 4959).
 * Lines are base64 (strict: no white space, correct padding) of at most
 * SASL_MAX_LINE octets.  PLAIN: the authzid must be empty or equal to the
 * authcid (no proxy logins).  User names are UTF-8 without control
 * characters, 1..SASL_MAX_USER octets; passwords 1..SASL_MAX_PASSWORD
 * octets without NUL — so that user, password and a timestamp always fit
 * the 512-octet checkpassword record.  sasl_clear wipes the password. */
#ifndef POSTERN_SASL_H
#define POSTERN_SASL_H

#include <stddef.h>
#include "buf.h"

#define SASL_MAX_LINE     12288
#define SASL_MAX_USER     255
#define SASL_MAX_PASSWORD 230

enum sasl_mech { SASL_MECH_NONE = 0, SASL_MECH_PLAIN, SASL_MECH_LOGIN };

enum sasl_status {
	SASL_CONTINUE = 0,
	SASL_DONE = 1,
	SASL_ERROR = -1,
	SASL_CANCEL = -2
};

struct sasl {
	enum sasl_mech mech;
	int step;                 /* internal */
	struct buf challenge;     /* base64 text to send next (NUL-terminated) */
	struct buf user;          /* authcid once SASL_DONE (NUL-terminated) */
	struct buf password;      /* once SASL_DONE (NUL-terminated) */
	const char *error;        /* static text when SASL_ERROR */
};

void sasl_init(struct sasl *s);
/* Wipe and free; s can be reused after sasl_init. */
void sasl_clear(struct sasl *s);

/* The mechanism named (case-insensitive), or SASL_MECH_NONE. */
enum sasl_mech sasl_mech_lookup(const char *name, size_t len);
/* "PLAIN LOGIN": the names for a capability list. */
const char *sasl_mech_names(void);

/* Start mech (name of mlen octets).  ir: the initial response as sent
 * (base64, or "=" for empty), NULL when there was none. */
enum sasl_status sasl_start(struct sasl *s, const char *mech, size_t mlen,
    const char *ir, size_t irlen);
/* The client's response line (without CRLF). */
enum sasl_status sasl_step(struct sasl *s, const char *line, size_t len);

/* Decode a PLAIN message (RFC 4616) into user and password; 0, or -1 with
 * *why.  Exposed for tests and fuzzing. */
int sasl_plain_decode(const char *p, size_t len, struct buf *user,
    struct buf *password, const char **why);

#endif
