/* dnsmx.h: MX and address lookups for postern-remote through libc's
 * resolver (res_ninit/res_nquery, -lresolv), with our own bounded parser
 * of the answers.
 *
 * dnsmx_mx() follows RFC 5321 5.1: MX records in preference order (equal
 * preferences shuffled); no MX record -> the domain itself (implicit MX,
 * its A/AAAA records); a null MX (RFC 7505: one record, preference 0,
 * target ".") -> permanent failure; NXDOMAIN -> permanent; SERVFAIL,
 * timeouts and malformed answers -> temporary.
 *
 * The resolver's server can be given (address and port), so that tests
 * talk to a stub server on loopback; then no search list applies and no
 * other server is asked. */
#ifndef POSTERN_DNSMX_H
#define POSTERN_DNSMX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSMX_MAX_NAME 255     /* presentation form, without trailing dot */
#define DNSMX_MAX_RR   64      /* answer records kept from one response */
#define DNSMX_MAX_PTRS 32      /* compression pointers followed per name */

#define DNS_T_A     1
#define DNS_T_CNAME 5
#define DNS_T_MX    15
#define DNS_T_AAAA  28

enum dnsmx_status {
	DNSMX_OK = 0,
	DNSMX_NODATA,      /* the name exists, no record of that type */
	DNSMX_NXDOMAIN,    /* permanent */
	DNSMX_NULLMX,      /* RFC 7505: the domain accepts no mail; permanent */
	DNSMX_TEMP         /* SERVFAIL, timeout, malformed answer */
};

struct dns_rr {
	unsigned type;
	unsigned pref;                  /* MX */
	char name[DNSMX_MAX_NAME + 1];  /* MX target, "" for the root */
	unsigned char addr[16];         /* A (4 bytes) or AAAA (16) */
};

struct dns_answer {
	unsigned rcode;                 /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN */
	int truncated;
	size_t n;                       /* records of the asked type kept */
	struct dns_rr rr[DNSMX_MAX_RR];
};

/* dnsmx_parse: one DNS response message p/len; keeps the answer-section
 * records of type qtype (MX, A or AAAA), whatever their owner name (a
 * CNAME chain in front is followed by the server).  0, or -1 when the
 * message is malformed (truncated, bad name, bad record lengths, not a
 * response). */
int dnsmx_parse(const char *p, size_t len, unsigned qtype,
    struct dns_answer *out);

/* Decodes a (possibly compressed) name at *off of message p/len into out
 * (dotted, no trailing dot, "" for the root); advances *off past the name
 * in place.  0, or -1 when malformed. */
int dnsmx_name(const char *p, size_t len, size_t *off, char *out,
    size_t outlen);

struct dnsmx_host {
	char name[DNSMX_MAX_NAME + 1];
	unsigned pref;
};

struct dnsmx_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct dnsmx_resolver;

/* server NULL or "": the system's configuration (resolv.conf, IPv4 and
 * IPv6 servers as libc reads them); else an IPv4 or IPv6 literal as
 * resolv.conf writes it ("192.0.2.1", "::1", "fe80::1%eth0"), also in
 * brackets ("[::1]"), with port.  timeout_s: per query over all tries.
 * NULL with err. */
struct dnsmx_resolver *dnsmx_resolver_new(const char *server, unsigned port,
    int timeout_s, char *err, size_t errlen);
void dnsmx_resolver_free(struct dnsmx_resolver *r);

/* One query; fills ans (rcode, records).  DNSMX_OK (records there),
 * DNSMX_NODATA, DNSMX_NXDOMAIN or DNSMX_TEMP. */
enum dnsmx_status dnsmx_query(struct dnsmx_resolver *r, const char *name,
    unsigned qtype, struct dns_answer *ans);

/* The mail exchangers of domain in the order to try, at most max.  On
 * DNSMX_OK *n >= 1.  A domain without MX records gives itself. */
enum dnsmx_status dnsmx_mx(struct dnsmx_resolver *r, const char *domain,
    struct dnsmx_host *hosts, size_t max, size_t *n);

/* Sort hosts by preference, shuffling equal ones; drops root targets.
 * Exposed for tests. */
void dnsmx_order(struct dnsmx_host *hosts, size_t *n);

/* The addresses of host (IPv4 first, then IPv6), each with port, at most
 * max.  An IP literal is returned as is, without a query. */
enum dnsmx_status dnsmx_addrs(struct dnsmx_resolver *r, const char *host,
    unsigned port, struct dnsmx_addr *out, size_t max, size_t *n);

#endif
