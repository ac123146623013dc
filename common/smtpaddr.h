/* smtpaddr.h: RFC 5321 paths (MAIL FROM / RCPT TO) and bare mailboxes into
 * a clean canonical form.  Strict grammar (RFC 5321 4.1.2, extended by RFC
 * 6531 for UTF-8 only when SMTPADDR_UTF8 is given); anything outside it is
 * an error with a short reason fit for a 501 reply.  Results never contain
 * CR, LF, NUL or other control bytes.
 *
 * Canonical form: local part as its value, wrapped in quotes (with \" and \\
 * escaped) only when it is not a dot-atom; domain lower-cased for ASCII;
 * address literals as "[1.2.3.4]" or "[IPv6:<inet_ntop form>]".  The local
 * part keeps its case (RFC 5321 2.4); lookups decide about case. */
#ifndef POSTERN_SMTPADDR_H
#define POSTERN_SMTPADDR_H

#include <stddef.h>

#define SMTPADDR_PATH_MAX   256   /* RFC 5321 4.5.3.1.3, with the brackets */
#define SMTPADDR_LOCAL_MAX  64    /* 4.5.3.1.1 */
#define SMTPADDR_DOMAIN_MAX 255   /* 4.5.3.1.2 */

/* flags */
#define SMTPADDR_ALLOW_NULL  0x01 /* "<>" accepted (MAIL FROM reverse-path) */
#define SMTPADDR_POSTMASTER  0x02 /* "<postmaster>" accepted (RCPT TO) */
#define SMTPADDR_UTF8        0x04 /* SMTPUTF8 given: UTF-8 in local part/domain */

struct smtpaddr {
	int is_null;        /* "<>" */
	int is_postmaster;  /* "<postmaster>" without domain (any case) */
	int is_literal;     /* domain is an address literal */
	int has_utf8;       /* some byte >= 0x80 in local part or domain */
	/* canonical "local@domain" ("" for <>, "postmaster" for <postmaster>) */
	char addr[SMTPADDR_PATH_MAX + 1];
	/* canonical local part (quoted when needed) */
	char local[SMTPADDR_LOCAL_MAX + 1];
	/* the local part's value: quotes and quoted-pair backslashes removed;
	 * printable ASCII (and UTF-8 when allowed), never a control byte */
	char local_value[SMTPADDR_LOCAL_MAX + 1];
	/* domain, lower-cased ASCII; literal with brackets; "" for null/postmaster */
	char domain[SMTPADDR_DOMAIN_MAX + 1];
};

/* smtpaddr_parse_path: p points at '<'.  Parses "<>" (when allowed),
 * "<postmaster>" (when allowed) or "<[@a,@b:]local@domain>" (the source
 * route is checked and dropped).  On success returns 0, fills out and sets
 * *consumed to the offset just past '>' (parameters follow there).  On error
 * returns -1 with *reason set to a static string ("syntax error in local
 * part", ...). */
int smtpaddr_parse_path(const char *p, size_t len, unsigned flags,
    struct smtpaddr *out, size_t *consumed, const char **reason);

/* smtpaddr_parse_mailbox: exactly "local@domain" filling the whole input (no
 * brackets, no route), e.g. alias targets and config values.  Same result
 * and errors as above; flags SMTPADDR_UTF8 only. */
int smtpaddr_parse_mailbox(const char *p, size_t len, unsigned flags,
    struct smtpaddr *out, const char **reason);

/* smtpaddr_parse_domain: a domain or address literal filling the input,
 * canonicalised into out (size SMTPADDR_DOMAIN_MAX + 1).  0 or -1. */
int smtpaddr_parse_domain(const char *p, size_t len, unsigned flags,
    char *out, int *is_literal, const char **reason);

/* True when the value (len bytes) is a dot-atom that needs no quoting. */
int smtpaddr_local_is_dot_atom(const char *p, size_t len, int utf8);

/* utf8_valid: strict UTF-8 (no overlongs, surrogates, > U+10FFFF).  Returns
 * the length of the sequence at p (1-4) or 0 when invalid or truncated. */
size_t smtpaddr_utf8_seq(const unsigned char *p, size_t len);
int smtpaddr_utf8_valid(const char *p, size_t len);

#endif
