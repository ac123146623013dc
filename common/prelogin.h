/* prelogin.h: what the pre-auth programs (postern-pop3-login,
 * postern-imap-login; DESIGN.md rule 4) have in common around the
 * protocol: the session facts (client address, TLS facts, the monitor
 * descriptor, failure counts), the plaintext_auth rule, the SASL exchange,
 * STARTTLS through postern-tls, and the login request to the monitor with
 * the hand-off record and the pause after a failure.  The protocol program
 * keeps its own replies: these functions never write to the client except
 * the SASL challenges ("+ " is the same in RFC 5034 and RFC 3501). */
#ifndef POSTERN_PRELOGIN_H
#define POSTERN_PRELOGIN_H

#include <stddef.h>
#include "config.h"
#include "io.h"
#include "netaddr.h"
#include "sasl.h"
#include "tlsenv.h"

/* The longest pause after a failed login, in seconds. */
#define PRELOGIN_FAIL_DELAY_MAX 15
/* How long the monitor may take to answer a login request. */
#define PRELOGIN_AUTH_TIMEOUT_MS 60000

struct prelogin {
	struct io *io;                 /* NULL until prelogin_start */
	const struct config *cfg;
	struct netaddr_client client;
	struct tls_facts tls;
	int authfd;                    /* the monitor, or -1 */
	unsigned failures, max_failures;
	long fail_delay;               /* seconds before the first "no" */
};

/* Fill pl from the environment (client address, implicit-TLS facts,
 * POSTERN_AUTH_FD) and from cfg: the keys naming the failed logins allowed
 * per session (at least 1) and the pause after the first one.  Reads
 * nothing from the client. */
void prelogin_init(struct prelogin *pl, const struct config *cfg,
    const char *failures_key, const char *delay_key);
/* Drop privilege (chroot, auth user: before the first read, rule 1), open
 * pl->io on fds 0/1 with the per-command timeout from timeout_key and log
 * the connection.  The caller then writes its greeting. */
void prelogin_start(struct prelogin *pl, const char *timeout_key);

/* The plaintext_auth rule: credentials may be sent under TLS, always with
 * "yes", and from a loopback client with "loopback". */
int prelogin_plaintext_ok(const struct prelogin *pl);
/* STARTTLS can be offered: not yet under TLS and postern-tls listens. */
int prelogin_starttls_available(const struct prelogin *pl);

/* Seconds to pause before answering failure number failures (1-based):
 * base, doubled for each failure before it, at most
 * PRELOGIN_FAIL_DELAY_MAX; 0 when base <= 0. */
long prelogin_fail_delay(long base, unsigned failures);

/* STARTTLS: ready (readylen bytes, CRLF included) is the protocol's "go
 * ahead" reply, which postern-tls sends.  Returns once TLS is on (pl->tls
 * updated); a failed handshake ends the session (exit 0). */
void prelogin_starttls(struct prelogin *pl, const char *ready,
    size_t readylen);

/* The SASL exchange after "AUTHENTICATE mech [ir]" / "AUTH mech [ir]":
 * sasl_init(s); PRELOGIN_SASL_BADMECH for a mechanism we do not offer;
 * else sasl_start, then for each challenge "+ base64" and the client's
 * next line (its LF and a CR before it removed).  Returns SASL_DONE
 * (credentials in s), SASL_ERROR (s->error), SASL_CANCEL, or
 * PRELOGIN_SASL_TOOLONG for an answer longer than SASL_MAX_LINE.  Exits 0
 * when the client goes away.  The caller always calls sasl_clear(s)
 * after. */
#define PRELOGIN_SASL_TOOLONG (-100)
#define PRELOGIN_SASL_BADMECH (-101)
int prelogin_sasl(struct prelogin *pl, struct sasl *s, const char *mech,
    size_t mechlen, const char *ir, size_t irlen);

enum prelogin_result {
	PRELOGIN_PIPELINED,    /* more pipelined behind the login than a
	                          hand-off record carries: nothing was sent */
	PRELOGIN_FAILED,       /* "no": counted, paused */
	PRELOGIN_TOO_MANY,     /* "no" and that was the last one allowed */
	PRELOGIN_TEMPFAIL,     /* the checker failed temporarily */
	PRELOGIN_UNAVAILABLE   /* no monitor, or it went away */
};

/* Flush what is pending for the client, then send user/pass and the
 * hand-off record (service, tag or NULL, command, the bytes pipelined
 * behind the command, TLS facts, address, failures so far) to the
 * monitor.  On "yes" the post-auth server has answered and owns the
 * connection: this logs it and exits 0, as it does when the flush fails.
 * Otherwise it logs the outcome, counts and pauses after a "no", and
 * returns what the caller answers. */
enum prelogin_result prelogin_login(struct prelogin *pl, const char *service,
    const char *tag, const char *command, const char *user, size_t ulen,
    const char *pass, size_t plen);

#endif
