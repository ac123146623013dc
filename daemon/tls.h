/* tls.h: private interfaces of postern-tls. */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <gnutls/gnutls.h>
#include "tlsenv.h"

struct tls_conf {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	int inited;             /* gnutls_global_init done */
	int loaded;             /* cred and prio are set up */
	/* Until then (on-request mode): the PEM files as read by root, and
	 * the priority string.  A session without STARTTLS never parses
	 * them; tls_conf_load does, and wipes the key copy. */
	gnutls_datum_t cert_pem, key_pem;
	const char *prio_str;
	int handshake_ms;
	int idle_ms;
};

/* tls_main.c */
/* Parse the certificate, key and priority string into cred and prio
 * (once).  Returns 0, or -1 (logged). */
int tls_conf_load(struct tls_conf *conf);

/* tls_relay.c */
/* Handshake on fds 0/1 (non-blocking) within conf->handshake_ms.  Returns
 * the session or NULL (logged). */
gnutls_session_t tls_handshake(const struct tls_conf *conf, struct tls_facts *f);
/* Relay until either side ends.  app: plaintext socket to the protocol
 * program, or -1 in request mode (-R: a STARTTLS request is pending on
 * ctl and is taken first; without one that succeeds, it returns never and
 * relays nothing); ctl: control socket (-1 when none or TLS is already on);
 * s: the TLS session (NULL = plaintext until STARTTLS).  Never returns. */
void tls_relay(struct tls_conf *conf, int app, int ctl, gnutls_session_t s)
	__attribute__((noreturn));

#endif
