/* netaddr.c: address and CIDR parsing, matching, the relay-networks table
 * and the session's connection ends (see netaddr.h). */
#include "netaddr.h"
#include "table.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char mapped_prefix[12] =
    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* IPv6 ::ffff:a.b.c.d becomes IPv4 a.b.c.d. */
static void
unmap(struct netaddr *a)
{
	if (a->family == AF_INET6 && memcmp(a->a, mapped_prefix, 12) == 0) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = AF_INET;
	}
}

int
netaddr_parse(const char *p, size_t len, struct netaddr *out)
{
	char tmp[NETADDR_STRLEN];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
		if (memchr(p, ':', len) == NULL)
			return -1;   /* brackets only around IPv6 */
	}
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	for (i = 0; i < len; i++) {
		char ch = p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		    (ch >= 'A' && ch <= 'F') || ch == '.' || ch == ':'))
			return -1;
	}
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (memchr(tmp, ':', len) != NULL) {
		if (inet_pton(AF_INET6, tmp, out->a) != 1)
			return -1;
		out->family = AF_INET6;
		unmap(out);
	} else {
		if (inet_pton(AF_INET, tmp, out->a) != 1)
			return -1;
		out->family = AF_INET;
	}
	return 0;
}

static unsigned
family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static void
clear_host_bits(struct netaddr *a, unsigned prefix)
{
	unsigned i, bits = family_bits(a->family);

	for (i = prefix; i < bits; i++)
		a->a[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
}

int
netaddr_cidr_parse(const char *p, size_t len, struct netaddr_cidr *out)
{
	const char *slash = memchr(p, '/', len);
	size_t alen = slash ? (size_t)(slash - p) : len, i;
	unsigned prefix = 0;
	int mapped;

	memset(out, 0, sizeof(*out));
	if (netaddr_parse(p, alen, &out->addr) != 0)
		return -1;
	/* Was it written as ::ffff:a.b.c.d?  Then a prefix counts 128 bits. */
	mapped = out->addr.family == AF_INET && memchr(p, ':', alen) != NULL;
	if (slash == NULL) {
		out->prefix = family_bits(out->addr.family);
		return 0;
	}
	i = alen + 1;
	if (i >= len || len - i > 3)
		return -1;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		prefix = prefix * 10 + (unsigned)(p[i] - '0');
	}
	if (len - alen - 1 > 1 && p[alen + 1] == '0')
		return -1;   /* no leading zeros */
	if (mapped) {
		if (prefix > 128)
			return -1;
		if (prefix < 96) {
			/* covers more than the mapped range: keep it IPv6 */
			memmove(out->addr.a + 12, out->addr.a, 4);
			memcpy(out->addr.a, mapped_prefix, 12);
			out->addr.family = AF_INET6;
		} else
			prefix -= 96;
	}
	if (prefix > family_bits(out->addr.family))
		return -1;
	out->prefix = prefix;
	clear_host_bits(&out->addr, prefix);
	return 0;
}

static int
prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xffu << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

int
netaddr_match(const struct netaddr_cidr *net, const struct netaddr *a)
{
	unsigned char m[16];

	if (net->addr.family == a->family)
		return prefix_equal(net->addr.a, a->a, net->prefix);
	if (net->addr.family == AF_INET6 && a->family == AF_INET) {
		memcpy(m, mapped_prefix, 12);
		memcpy(m + 12, a->a, 4);
		return prefix_equal(net->addr.a, m, net->prefix);
	}
	return 0;
}

int
netaddr_is_loopback(const struct netaddr *a)
{
	static const unsigned char v6_loopback[16] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

	if (a->family == AF_INET)
		return a->a[0] == 127;
	if (a->family == AF_INET6)
		return memcmp(a->a, v6_loopback, 16) == 0;
	return 0;
}

void
netaddr_format(const struct netaddr *a, char *out, size_t outlen)
{
	char tmp[INET6_ADDRSTRLEN];

	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, a->a, tmp, sizeof(tmp)) == NULL)
		snprintf(tmp, sizeof(tmp), "unknown");
	snprintf(out, outlen, "%s", tmp);
}

int
netaddr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
    struct netaddr *out, unsigned *port)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		out->family = AF_INET;
		memcpy(out->a, &s4->sin_addr, 4);
		if (port)
			*port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		out->family = AF_INET6;
		memcpy(out->a, &s6->sin6_addr, 16);
		unmap(out);
		if (port)
			*port = ntohs(s6->sin6_port);
		return 0;
	}
	return -1;
}

static int
table_scan(const struct table *t, const struct netaddr *a, char *err, size_t errlen)
{
	struct netaddr_cidr net;
	int found = 0;
	size_t i;

	for (i = 0; i < t->count; i++) {
		const struct table_entry *e = &t->entries[i];
		if (netaddr_cidr_parse(e->text, e->len, &net) != 0) {
			snprintf(err, errlen, "%s:%u: bad network \"%.60s\"", t->path,
			    e->line, e->text);
			return -1;
		}
		if (a != NULL && !found && netaddr_match(&net, a))
			found = 1;
	}
	return found;
}

int
netaddr_in_table(const struct table *t, const struct netaddr *a, char *err, size_t errlen)
{
	return table_scan(t, a, err, errlen);
}

int
netaddr_table_check(const struct table *t, char *err, size_t errlen)
{
	return table_scan(t, NULL, err, errlen) < 0 ? -1 : 0;
}

/* A decimal port 0..65535 without sign or leading zeros. */
static int
port_ok(const char *s)
{
	size_t n = strlen(s), i;
	unsigned long v = 0;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= 65535;
}

/* One end from the environment: 0 if ipvar holds an address. */
static int
end_from_env(const char *ipvar, const char *portvar, struct netaddr *a,
    char *ip, size_t iplen, char *port, size_t portlen)
{
	const char *e = getenv(ipvar), *pe;

	if (e == NULL || netaddr_parse(e, strlen(e), a) != 0)
		return -1;
	netaddr_format(a, ip, iplen);
	pe = getenv(portvar);
	snprintf(port, portlen, "%s", pe != NULL && port_ok(pe) ? pe : "0");
	return 0;
}

static int
end_from_socket(int peer, struct netaddr *a, char *ip, size_t iplen,
    char *port, size_t portlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned pn = 0;
	int r;

	memset(&ss, 0, sizeof(ss));
	r = peer ? getpeername(0, (struct sockaddr *)&ss, &sl) :
	    getsockname(0, (struct sockaddr *)&ss, &sl);
	if (r != 0 || netaddr_from_sockaddr((struct sockaddr *)&ss, sl, a, &pn) != 0)
		return -1;
	netaddr_format(a, ip, iplen);
	snprintf(port, portlen, "%u", pn);
	return 0;
}

int
netaddr_client(struct netaddr_client *c)
{
	memset(c, 0, sizeof(*c));
	/* UCSPI names the variables after $PROTO: TCP6REMOTEIP for TCP6. */
	if (end_from_env("TCPREMOTEIP", "TCPREMOTEPORT", &c->remote, c->remote_ip,
	    sizeof(c->remote_ip), c->remote_port, sizeof(c->remote_port)) == 0 ||
	    end_from_env("TCP6REMOTEIP", "TCP6REMOTEPORT", &c->remote, c->remote_ip,
	    sizeof(c->remote_ip), c->remote_port, sizeof(c->remote_port)) == 0 ||
	    end_from_env("REMOTE_ADDR", "REMOTE_PORT", &c->remote, c->remote_ip,
	    sizeof(c->remote_ip), c->remote_port, sizeof(c->remote_port)) == 0 ||
	    end_from_socket(1, &c->remote, c->remote_ip, sizeof(c->remote_ip),
	    c->remote_port, sizeof(c->remote_port)) == 0)
		c->remote_known = 1;
	else {
		memset(&c->remote, 0, sizeof(c->remote));
		snprintf(c->remote_ip, sizeof(c->remote_ip), "unknown");
		snprintf(c->remote_port, sizeof(c->remote_port), "0");
	}
	if (end_from_env("TCPLOCALIP", "TCPLOCALPORT", &c->local, c->local_ip,
	    sizeof(c->local_ip), c->local_port, sizeof(c->local_port)) == 0 ||
	    end_from_env("TCP6LOCALIP", "TCP6LOCALPORT", &c->local, c->local_ip,
	    sizeof(c->local_ip), c->local_port, sizeof(c->local_port)) == 0 ||
	    end_from_socket(0, &c->local, c->local_ip, sizeof(c->local_ip),
	    c->local_port, sizeof(c->local_port)) == 0)
		c->local_known = 1;
	else {
		memset(&c->local, 0, sizeof(c->local));
		snprintf(c->local_ip, sizeof(c->local_ip), "unknown");
		snprintf(c->local_port, sizeof(c->local_port), "0");
	}
	return c->remote_known ? 0 : -1;
}
