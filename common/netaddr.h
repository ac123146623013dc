/* netaddr.h: IPv4/IPv6 addresses and CIDR networks; the relay-networks
 * table check; and where a session program finds its client's and its own
 * address (tcpserver / postern-listen environment, systemd Accept=yes and
 * inetd wrappers, else the socket on fd 0).
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are stored as IPv4, so a
 * dual-stack listener's clients match IPv4 networks. */
#ifndef POSTERN_NETADDR_H
#define POSTERN_NETADDR_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct table;

struct netaddr {
	int family;            /* AF_INET or AF_INET6 */
	unsigned char a[16];   /* network byte order; IPv4 in a[0..3] */
};

struct netaddr_cidr {
	struct netaddr addr;   /* host bits cleared */
	unsigned prefix;       /* 0..32 or 0..128 */
};

/* "192.0.2.1", "2001:db8::1", "[2001:db8::1]", "::ffff:192.0.2.1" (stored
 * as IPv4).  0 on success, -1 on anything else (zones, names, junk). */
int netaddr_parse(const char *p, size_t len, struct netaddr *out);
/* An address or "address/prefix".  Host bits past the prefix are cleared.
 * A mapped ::ffff:a.b.c.d/n with n >= 96 becomes a.b.c.d/(n-96). */
int netaddr_cidr_parse(const char *p, size_t len, struct netaddr_cidr *out);
/* 1 if a is inside net.  IPv4 addresses also match IPv6 networks that
 * cover their mapped form (::/0, ::ffff:0:0/96). */
int netaddr_match(const struct netaddr_cidr *net, const struct netaddr *a);
/* 127.0.0.0/8 or ::1. */
int netaddr_is_loopback(const struct netaddr *a);
/* inet_ntop form ("192.0.2.1", "2001:db8::1"); out at least 46 bytes. */
void netaddr_format(const struct netaddr *a, char *out, size_t outlen);
/* From a socket address (AF_INET, AF_INET6); -1 for other families. */
int netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
    struct netaddr *out, unsigned *port);

/* Relay networks: 1 if a is in one of the table's networks, 0 if not,
 * -1 with "file:line: bad network \"...\"" in err when any line of the
 * table is not an address or CIDR network (every line is checked, so a
 * typo is reported whether or not an earlier line matched). */
int netaddr_in_table(const struct table *t, const struct netaddr *a,
    char *err, size_t errlen);
/* Validate every line only (postern check): 0 or -1 with err. */
int netaddr_table_check(const struct table *t, char *err, size_t errlen);

#define NETADDR_STRLEN 46

/* The two ends of a session's connection. */
struct netaddr_client {
	int remote_known;                 /* remote/remote_ip are valid */
	int local_known;
	struct netaddr remote, local;
	char remote_ip[NETADDR_STRLEN];   /* "unknown" when not known */
	char remote_port[6];              /* "0" when not known */
	char local_ip[NETADDR_STRLEN];
	char local_port[6];
};

/* Remote end from TCPREMOTEIP/TCPREMOTEPORT (tcpserver, postern-listen;
 * TCP6REMOTEIP/TCP6REMOTEPORT when PROTO=TCP6), else REMOTE_ADDR/
 * REMOTE_PORT (systemd Accept=yes, inetd wrappers), else getpeername(0);
 * local end from TCPLOCALIP/TCPLOCALPORT (or TCP6...), else
 * getsockname(0).  Values from the environment are parsed, never copied
 * blindly.  Returns 0 when the remote address is known, -1 if not. */
int netaddr_client(struct netaddr_client *c);

#endif
