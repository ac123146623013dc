/* routes.h: the routes table (routes_file) and the smarthost secrets
 * (secrets_file) that postern-remote reads.
 *
 * Routes, one per line:   DOMAIN DESTINATION [OPTION...]
 *   DOMAIN       "example.net" (exact, any case), ".example.net" (any
 *                subdomain) or "*" (every other domain: a smarthost).
 *                Exact beats subdomain (longest wins) beats "*".
 *   DESTINATION  "[host]" or "[host]:port": that host's addresses (or the
 *                IP literal inside the brackets), no MX lookup;
 *                "host" or "host:port": MX lookup of host instead of the
 *                recipient domain.  IPv6 literals only in brackets.
 *   OPTION       tls=may (default: STARTTLS when offered, unverified),
 *                tls=must (STARTTLS required, certificate verified against
 *                the system CAs or ca=, name checked against the host),
 *                tls=none; auth=NAME (AUTH PLAIN with the secret NAME;
 *                postern-remote sends it only over TLS or to a loopback
 *                address);
 *                ca=/abs/file.pem (CA certificates for tls=must).
 * Secrets, one per line:  NAME USER PASSWORD   (the password is the rest
 * of the line and may hold spaces).  The file must not be readable by
 * group or others (the remote user's 0600 file). */
#ifndef POSTERN_ROUTES_H
#define POSTERN_ROUTES_H

#include <stddef.h>

#define ROUTES_MAX_BYTES  (1024 * 1024)
#define SECRETS_MAX_BYTES (64 * 1024)

enum route_tls { ROUTE_TLS_MAY = 0, ROUTE_TLS_MUST, ROUTE_TLS_NONE };

struct route {
	char *domain;        /* as written: "example.net", ".example.net", "*" */
	char *host;          /* name or IP literal (brackets removed) */
	int no_mx;           /* destination in brackets */
	unsigned port;       /* 0: the default port */
	enum route_tls tls;
	char *auth;          /* secret name or NULL */
	char *ca_file;       /* NULL: system CAs */
	unsigned line;
};

struct routes {
	struct route *r;
	size_t n;
};

/* NULL with "name:line: reason" in err. */
struct routes *routes_parse(const char *name, const char *p, size_t len,
    char *err, size_t errlen);
/* A missing file is an empty table. */
struct routes *routes_load(const char *path, char *err, size_t errlen);
void routes_free(struct routes *rt);
/* The route for domain (len bytes, any case; a trailing dot ignored), or
 * NULL (deliver through MX records). */
const struct route *routes_lookup(const struct routes *rt,
    const char *domain, size_t len);

struct secret {
	char *name, *user, *password;
};

struct secrets {
	struct secret *s;
	size_t n;
};

struct secrets *secrets_parse(const char *name, const char *p, size_t len,
    char *err, size_t errlen);
/* Refuses a file readable or writable by group or others. */
struct secrets *secrets_load(const char *path, char *err, size_t errlen);
/* Overwrites the passwords before freeing. */
void secrets_free(struct secrets *s);
const struct secret *secrets_lookup(const struct secrets *s, const char *name);

#endif
