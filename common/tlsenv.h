/* tlsenv.h: the TLS facts of a session (version, cipher, SNI) and their
 * transport in the environment for implicit-TLS ports (postern-tls -i sets
 * POSTERN_TLS_VERSION/CIPHER/SNI before it execs the protocol program). */
#ifndef POSTERN_TLSENV_H
#define POSTERN_TLSENV_H

#include <stddef.h>

struct tls_facts {
	int active;             /* 1 once TLS is on */
	char version[32];       /* "TLS1.3" */
	char cipher[128];       /* "AES-256-GCM" style, GnuTLS names */
	char sni[256];          /* server name the client asked for, or "" */
};

#define TLSENV_VERSION "POSTERN_TLS_VERSION"
#define TLSENV_CIPHER "POSTERN_TLS_CIPHER"
#define TLSENV_SNI "POSTERN_TLS_SNI"

void tls_facts_clear(struct tls_facts *f);
/* Fill f from the environment: active when POSTERN_TLS_VERSION is set and
 * non-empty.  Values too long or with control characters are cut/refused
 * (f->active stays 0 if the version is unusable).  Returns f->active. */
int tlsenv_read(struct tls_facts *f);
/* Put f into the environment (postern-tls); unsets everything when
 * f is not active.  Returns 0, or -1 on setenv failure. */
int tlsenv_write(const struct tls_facts *f);
/* Copy at most n bytes of p into dst (size dstlen) if all are printable
 * ASCII and fit; returns 0 or -1 (dst is then ""). */
int tls_fact_copy(char *dst, size_t dstlen, const char *p, size_t n);

#endif
