/* dnsmx.c: DNS answers parsed with bounds, MX ordering and the resolver
 * calls of postern-remote (see dnsmx.h). */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "buf.h"
#include "dnsmx.h"

#define DNS_HEADER 12

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int
host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
dnsmx_name(const char *p, size_t len, size_t *off, char *out, size_t outlen)
{
	const unsigned char *m = (const unsigned char *)p;
	size_t pos = *off, end = 0, o = 0, total = 0;
	int jumped = 0, ptrs = 0, bad_chars = 0;

	if (out && outlen > 0)
		out[0] = '\0';
	for (;;) {
		unsigned l;

		if (pos >= len)
			return -1;
		l = m[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++ptrs > DNSMX_MAX_PTRS)
				return -1;
			if (!jumped)
				end = pos + 2;
			jumped = 1;
			pos = (l & 0x3f) << 8 | m[pos + 1];
			continue;
		}
		if (l & 0xc0)
			return -1;      /* 0x40/0x80: extended labels, not used */
		pos++;
		if (l == 0)
			break;
		if (pos + l > len)
			return -1;
		total += l + 1;
		if (total > DNSMX_MAX_NAME)
			return -1;
		if (out) {
			size_t i;
			if (o > 0) {
				if (o + 1 >= outlen)
					return -1;
				out[o++] = '.';
			}
			for (i = 0; i < l; i++) {
				if (!host_char(m[pos + i]))
					bad_chars = 1;
				if (o + 1 >= outlen)
					return -1;
				out[o++] = (char)m[pos + i];
			}
			out[o] = '\0';
		}
		pos += l;
	}
	*off = jumped ? end : pos;
	return bad_chars ? -2 : 0;
}

int
dnsmx_parse(const char *p, size_t len, unsigned qtype, struct dns_answer *out)
{
	const unsigned char *m = (const unsigned char *)p;
	unsigned qd, an, i;
	size_t off = DNS_HEADER;

	memset(out, 0, offsetof(struct dns_answer, rr));
	if (len < DNS_HEADER || !(m[2] & 0x80))
		return -1;
	out->truncated = (m[2] & 0x02) != 0;
	out->rcode = m[3] & 0x0f;
	qd = get16(m + 4);
	an = get16(m + 6);
	if (qd > 1)
		return -1;
	for (i = 0; i < qd; i++) {
		if (dnsmx_name(p, len, &off, NULL, 0) < 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	for (i = 0; i < an; i++) {
		unsigned type, rdlen;
		size_t rd;
		struct dns_rr *rr;

		if (dnsmx_name(p, len, &off, NULL, 0) < 0 || off + 10 > len)
			return -1;
		type = get16(m + off);
		rdlen = get16(m + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -1;
		rd = off;
		off += rdlen;
		if (type != qtype || get16(m + rd - 8) != 1 /* class IN */ ||
		    out->n >= DNSMX_MAX_RR)
			continue;
		rr = &out->rr[out->n];
		memset(rr, 0, sizeof *rr);
		rr->type = type;
		if (type == DNS_T_A) {
			if (rdlen != 4)
				return -1;
			memcpy(rr->addr, m + rd, 4);
		} else if (type == DNS_T_AAAA) {
			if (rdlen != 16)
				return -1;
			memcpy(rr->addr, m + rd, 16);
		} else if (type == DNS_T_MX) {
			size_t noff = rd + 2;
			int rc;
			if (rdlen < 3)
				return -1;
			rr->pref = get16(m + rd);
			/* the name must end inside the record's data */
			rc = dnsmx_name(p, rd + rdlen, &noff, rr->name,
			    sizeof rr->name);
			if (rc == -1 || noff != rd + rdlen)
				return -1;
			if (rc == -2)
				continue;   /* not a host name: skip the record */
		} else
			continue;
		out->n++;
	}
	return 0;
}

/* Fisher-Yates over hosts[lo, hi) */
static void
shuffle(struct dnsmx_host *h, size_t lo, size_t hi)
{
	size_t i;

	for (i = hi - lo; i > 1; i--) {
		uint32_t r;
		struct dnsmx_host t;
		size_t j;

		if (getrandom(&r, sizeof r, 0) != sizeof r)
			r = (uint32_t)random();
		j = r % i;
		t = h[lo + i - 1];
		h[lo + i - 1] = h[lo + j];
		h[lo + j] = t;
	}
}

static int
cmp_pref(const void *a, const void *b)
{
	const struct dnsmx_host *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

void
dnsmx_order(struct dnsmx_host *hosts, size_t *n)
{
	size_t i, j = 0;

	for (i = 0; i < *n; i++)
		if (hosts[i].name[0])
			hosts[j++] = hosts[i];
	*n = j;
	qsort(hosts, *n, sizeof *hosts, cmp_pref);
	for (i = 0; i < *n; i = j) {
		for (j = i + 1; j < *n && hosts[j].pref == hosts[i].pref; j++)
			;
		shuffle(hosts, i, j);
	}
}

struct dnsmx_resolver {
	struct __res_state st;
	int custom;
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The server text: an IPv4 or IPv6 literal as resolv.conf writes it
 * ("192.0.2.1", "::1", "fe80::1%eth0"), also in brackets ("[::1]").
 * 0 with *ss filled (port set), or -1. */
static int
server_addr(const char *server, unsigned port, struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 4];
	struct addrinfo hints, *ai = NULL;
	size_t len = strlen(server);

	if (len >= sizeof text)
		return -1;
	if (server[0] == '[') {
		if (len < 3 || server[len - 1] != ']')
			return -1;
		memcpy(text, server + 1, len - 2);
		text[len - 2] = '\0';
	} else
		memcpy(text, server, len + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(text, NULL, &hints, &ai) != 0 || !ai)
		return -1;
	if (ai->ai_addrlen > sizeof *ss ||
	    (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)) {
		freeaddrinfo(ai);
		return -1;
	}
	memset(ss, 0, sizeof *ss);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return 0;
}

struct dnsmx_resolver *
dnsmx_resolver_new(const char *server, unsigned port, int timeout_s,
    char *err, size_t errlen)
{
	struct dnsmx_resolver *r = xcalloc(1, sizeof *r);
	struct sockaddr_storage ss;
	int i;

	if (res_ninit(&r->st) != 0) {
		seterr(err, errlen, "res_ninit failed");
		free(r);
		return NULL;
	}
	if (timeout_s < 1)
		timeout_s = 1;
	/* two tries, each half the time */
	r->st.retry = 2;
	r->st.retrans = timeout_s / 2 > 0 ? timeout_s / 2 : 1;
	r->st.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	if (server && *server) {
		if (port == 0 || port > 65535 || server_addr(server, port, &ss) < 0) {
			seterr(err, errlen, "resolver_address %s: not an IPv4 or IPv6 address (or bad port)",
			    server);
			res_nclose(&r->st);
			free(r);
			return NULL;
		}
		/* glibc keeps IPv6 servers in the extended state: an
		 * nsaddr_list entry with family 0 stands for _ext.nsaddrs[i],
		 * which res_nclose frees.  Drop what res_ninit put there, and
		 * a zero _ext.nscount makes res_send copy the list afresh. */
		for (i = 0; i < MAXNS; i++) {
			free(r->st._u._ext.nsaddrs[i]);
			r->st._u._ext.nsaddrs[i] = NULL;
		}
		memset(&r->st.nsaddr_list[0], 0, sizeof r->st.nsaddr_list[0]);
		if (ss.ss_family == AF_INET)
			memcpy(&r->st.nsaddr_list[0], &ss, sizeof(struct sockaddr_in));
		else {
			r->st._u._ext.nsaddrs[0] = xmalloc(sizeof(struct sockaddr_in6));
			memcpy(r->st._u._ext.nsaddrs[0], &ss, sizeof(struct sockaddr_in6));
		}
		r->st.nscount = 1;
		r->st._u._ext.nscount = 0;
		r->custom = 1;
	}
	return r;
}

void
dnsmx_resolver_free(struct dnsmx_resolver *r)
{
	if (!r)
		return;
	res_nclose(&r->st);
	free(r);
}

enum dnsmx_status
dnsmx_query(struct dnsmx_resolver *r, const char *name, unsigned qtype,
    struct dns_answer *ans)
{
	unsigned char *msg = xmalloc(65536);
	int n;
	enum dnsmx_status s;

	memset(ans, 0, offsetof(struct dns_answer, rr));
	if (strlen(name) > DNSMX_MAX_NAME) {
		free(msg);
		return DNSMX_NXDOMAIN;
	}
	n = res_nquery(&r->st, name, C_IN, (int)qtype, msg, 65536);
	if (n < 0) {
		free(msg);
		switch (r->st.res_h_errno) {
		case HOST_NOT_FOUND:
			return DNSMX_NXDOMAIN;
		case NO_DATA:
			return DNSMX_NODATA;
		default:
			return DNSMX_TEMP;
		}
	}
	if (n > 65536 || dnsmx_parse((const char *)msg, (size_t)n, qtype, ans) < 0)
		s = DNSMX_TEMP;
	else if (ans->rcode == 3)
		s = DNSMX_NXDOMAIN;
	else if (ans->rcode != 0)
		s = DNSMX_TEMP;
	else if (ans->n == 0)
		s = DNSMX_NODATA;
	else
		s = DNSMX_OK;
	free(msg);
	return s;
}

enum dnsmx_status
dnsmx_mx(struct dnsmx_resolver *r, const char *domain,
    struct dnsmx_host *hosts, size_t max, size_t *n)
{
	struct dns_answer *ans = xmalloc(sizeof *ans);
	struct dnsmx_host *all;
	enum dnsmx_status s;
	size_t i, nall;

	*n = 0;
	if (max == 0 || strlen(domain) > DNSMX_MAX_NAME) {
		free(ans);
		return DNSMX_NXDOMAIN;
	}
	s = dnsmx_query(r, domain, DNS_T_MX, ans);
	if (s == DNSMX_NODATA) {
		/* RFC 5321 5.1: implicit MX, the domain itself */
		snprintf(hosts[0].name, sizeof hosts[0].name, "%s", domain);
		hosts[0].pref = 0;
		*n = 1;
		free(ans);
		return DNSMX_OK;
	}
	if (s != DNSMX_OK) {
		free(ans);
		return s;
	}
	/* all records first, then the order, then the cut to max: the
	 * most preferred hosts are kept whatever the answer's order */
	all = xcalloc(ans->n ? ans->n : 1, sizeof *all);
	for (i = 0; i < ans->n; i++) {
		memcpy(all[i].name, ans->rr[i].name, sizeof all[i].name);
		all[i].pref = ans->rr[i].pref;
	}
	nall = ans->n;
	free(ans);
	/* RFC 7505 3: a null MX (target ".") means no mail; root targets
	 * beside real ones are ignored */
	dnsmx_order(all, &nall);
	for (i = 0; i < nall && *n < max; i++)
		hosts[(*n)++] = all[i];
	free(all);
	return *n ? DNSMX_OK : DNSMX_NULLMX;
}

static void
put_addr(struct dnsmx_addr *a, int family, const void *bytes, unsigned port)
{
	memset(a, 0, sizeof *a);
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&a->ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		memcpy(&s->sin_addr, bytes, 4);
		a->len = sizeof *s;
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a->ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		memcpy(&s->sin6_addr, bytes, 16);
		a->len = sizeof *s;
	}
}

enum dnsmx_status
dnsmx_addrs(struct dnsmx_resolver *r, const char *host, unsigned port,
    struct dnsmx_addr *out, size_t max, size_t *n)
{
	struct dns_answer *ans;
	unsigned char bytes[16];
	enum dnsmx_status s4, s6;
	size_t i;

	*n = 0;
	if (max == 0)
		return DNSMX_TEMP;
	if (inet_pton(AF_INET, host, bytes) == 1) {
		put_addr(&out[(*n)++], AF_INET, bytes, port);
		return DNSMX_OK;
	}
	if (inet_pton(AF_INET6, host, bytes) == 1) {
		put_addr(&out[(*n)++], AF_INET6, bytes, port);
		return DNSMX_OK;
	}
	ans = xmalloc(sizeof *ans);
	s4 = dnsmx_query(r, host, DNS_T_A, ans);
	for (i = 0; s4 == DNSMX_OK && i < ans->n && *n < max; i++)
		put_addr(&out[(*n)++], AF_INET, ans->rr[i].addr, port);
	if (s4 == DNSMX_NXDOMAIN) {
		free(ans);
		return DNSMX_NXDOMAIN;
	}
	s6 = dnsmx_query(r, host, DNS_T_AAAA, ans);
	for (i = 0; s6 == DNSMX_OK && i < ans->n && *n < max; i++)
		put_addr(&out[(*n)++], AF_INET6, ans->rr[i].addr, port);
	free(ans);
	if (*n)
		return DNSMX_OK;
	if (s4 == DNSMX_TEMP || s6 == DNSMX_TEMP)
		return DNSMX_TEMP;
	if (s6 == DNSMX_NXDOMAIN)
		return DNSMX_NXDOMAIN;
	return DNSMX_NODATA;
}
