/* postern_tables.c: the line syntax of each table file, for `postern
 * check` and the SIGHUP validation of `postern run`: one function per
 * table, each taking (p, len) of one trimmed line and returning NULL or a
 * reason.  Relay networks go through common/netaddr.h, the parser the
 * servers use; domains, aliases and routes get a syntax check here (the
 * domains and aliases then also go through recipient resolution's loader,
 * see postern_check.c). */
#include <stdio.h>
#include <string.h>

#include "netaddr.h"
#include "routes.h"
#include "postern.h"

static int
is_label_char(unsigned char c)
{
	/* Bytes >= 0x80: UTF-8 of internationalised names, kept as they are. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c >= 0x80;
}

/* Labels of letters, digits, '-' (not at either end), joined by dots. */
int
table_domain_ok(const char *p, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
		} else if (is_label_char((unsigned char)p[i])) {
			if (label == 0 && p[i] == '-')
				return 0;
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && p[len - 1] != '-';
}

/* "[192.0.2.1]", "[IPv6:2001:db8::1]" or "[2001:db8::1]". */
static int
literal_ok(const char *p, size_t len)
{
	struct netaddr a;

	if (len < 3 || p[0] != '[' || p[len - 1] != ']')
		return 0;
	p++;
	len -= 2;
	if (len > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		len -= 5;
	}
	return netaddr_parse(p, len, &a) == 0;
}


const char *
table_domains_line(const char *p, size_t len)
{
	if (len > 0 && p[0] == '[')
		return literal_ok(p, len) ? NULL : "not an address literal";
	return table_domain_ok(p, len) ? NULL : "not a domain name";
}

const char *
table_relaynets_line(const char *p, size_t len)
{
	struct netaddr_cidr net;

	return netaddr_cidr_parse(p, len, &net) == 0 ? NULL :
	    "not an address or CIDR network";
}

/* A routes line goes through the parser postern-remote uses
 * (common/routes.h), options (tls=, auth=, ca=) included, so that `postern
 * check` and SIGHUP accept exactly what delivery accepts. */
const char *
table_routes_line(const char *p, size_t len)
{
	static char reason[256];
	char err[256];
	struct routes *rt = routes_parse("", p, len, err, sizeof(err));
	const char *r;

	if (rt != NULL) {
		routes_free(rt);
		return NULL;
	}
	/* err is ":line: reason"; keep the reason */
	r = strstr(err, ": ");
	snprintf(reason, sizeof(reason), "%s", r != NULL ? r + 2 : err);
	return reason;
}

/* "name: target, target": a name without white space or ',', at least
 * one target, no empty target between commas. */
const char *
table_aliases_line(const char *p, size_t len)
{
	const char *colon = memchr(p, ':', len);
	size_t i, n, targets = 0, cur = 0;

	if (colon == NULL)
		return "missing ':' in alias";
	n = (size_t)(colon - p);
	if (n == 0)
		return "empty alias name";
	for (i = 0; i < n; i++)
		if (p[i] == ' ' || p[i] == '\t' || p[i] == ',')
			return "white space or ',' in alias name";
	for (i = n + 1; i <= len; i++) {
		if (i == len || p[i] == ',') {
			if (cur > 0)
				targets++;
			else if (i < len || targets > 0)
				return "empty alias target";
			cur = 0;
		} else if (p[i] != ' ' && p[i] != '\t')
			cur++;
	}
	return targets > 0 ? NULL : "alias without a target";
}

const struct table_check table_checks[] = {
	{ "domains_file", 0, table_domains_line },
	{ "relaynets_file", 1, table_relaynets_line },
	{ "routes_file", 1, table_routes_line },
	{ "aliases_file", 1, table_aliases_line },
	{ NULL, 0, NULL }
};
