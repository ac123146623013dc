/* smtpaddr.c: RFC 5321 4.1.2 paths and mailboxes (with RFC 6531 UTF-8 when
 * asked), parsed strictly into a canonical form (see smtpaddr.h). */
#include "smtpaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t
smtpaddr_utf8_seq(const unsigned char *p, size_t len)
{
	unsigned c;
	size_t n, k;
	unsigned cp;

	if (len == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; cp = c & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls are no more welcome than C0 ones */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return n;
}

int
smtpaddr_utf8_valid(const char *p, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = smtpaddr_utf8_seq((const unsigned char *)p + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* RFC 5322 3.2.3 atext */
static int
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int
smtpaddr_local_is_dot_atom(const char *p, size_t len, int utf8)
{
	size_t i = 0, n;
	int atom = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		unsigned char c = (unsigned char)p[i];
		if (c == '.') {
			if (!atom)
				return 0;
			atom = 0;
			i++;
		} else if (is_atext(c)) {
			atom = 1;
			i++;
		} else if (c >= 0x80 && utf8 &&
		    (n = smtpaddr_utf8_seq((const unsigned char *)p + i, len - i)) > 0) {
			atom = 1;
			i += n;
		} else
			return 0;
	}
	return atom;
}

/* Local-part at *ip, up to (not including) '@'.  Writes the value into
 * value (SMTPADDR_LOCAL_MAX + 1). */
static int
parse_local(const char *p, size_t len, size_t *ip, unsigned flags,
    char *value, size_t *vlenp, int *utf8, const char **reason)
{
	size_t i = *ip, start = *ip, vlen = 0, n;
	int allow8 = (flags & SMTPADDR_UTF8) != 0;

	if (i < len && p[i] == '"') {
		i++;
		for (;;) {
			unsigned char c;
			if (i >= len) {
				*reason = "unterminated quoted local part";
				return -1;
			}
			if (i - start >= SMTPADDR_LOCAL_MAX) {
				*reason = "local part too long";
				return -1;
			}
			c = (unsigned char)p[i];
			if (c == '"') {
				i++;
				break;
			}
			if (c == '\\') {
				/* RFC 5321 quoted-pairSMTP = %d92 %d32-126 */
				if (i + 1 >= len || (unsigned char)p[i + 1] < 32 ||
				    (unsigned char)p[i + 1] > 126) {
					*reason = "bad quoted pair in local part";
					return -1;
				}
				value[vlen++] = p[i + 1];
				i += 2;
			} else if (c >= 32 && c <= 126) {
				value[vlen++] = (char)c;
				i++;
			} else if (c >= 0x80 && allow8) {
				n = smtpaddr_utf8_seq((const unsigned char *)p + i, len - i);
				if (n == 0) {
					*reason = "invalid UTF-8 in local part";
					return -1;
				}
				if (i - start + n >= SMTPADDR_LOCAL_MAX) {
					*reason = "local part too long";
					return -1;
				}
				memcpy(value + vlen, p + i, n);
				vlen += n;
				i += n;
				*utf8 = 1;
			} else {
				*reason = c >= 0x80 ? "8-bit local part without SMTPUTF8" :
				    "invalid character in local part";
				return -1;
			}
		}
	} else {
		int atom = 0;
		for (;;) {
			unsigned char c = i < len ? (unsigned char)p[i] : 0;
			if (i < len && c == '.') {
				if (!atom) {
					*reason = "syntax error in local part";
					return -1;
				}
				atom = 0;
				value[vlen++] = '.';
				i++;
			} else if (i < len && is_atext(c)) {
				atom = 1;
				value[vlen++] = (char)c;
				i++;
			} else if (i < len && c >= 0x80 && allow8) {
				n = smtpaddr_utf8_seq((const unsigned char *)p + i, len - i);
				if (n == 0) {
					*reason = "invalid UTF-8 in local part";
					return -1;
				}
				if (i - start + n > SMTPADDR_LOCAL_MAX) {
					*reason = "local part too long";
					return -1;
				}
				memcpy(value + vlen, p + i, n);
				vlen += n;
				i += n;
				atom = 1;
				*utf8 = 1;
			} else if (i < len && c >= 0x80) {
				*reason = "8-bit local part without SMTPUTF8";
				return -1;
			} else
				break;
			if (i - start > SMTPADDR_LOCAL_MAX)
				break;
		}
		if (i - start > SMTPADDR_LOCAL_MAX) {
			*reason = "local part too long";
			return -1;
		}
		if (!atom) {
			*reason = i == start ? "empty local part" : "syntax error in local part";
			return -1;
		}
	}
	if (i - start > SMTPADDR_LOCAL_MAX) {
		*reason = "local part too long";
		return -1;
	}
	value[vlen] = 0;
	*vlenp = vlen;
	*ip = i;
	return 0;
}

/* Strict dotted quad: four 1-3 digit numbers <= 255. */
static int
parse_ipv4(const char *p, size_t len)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		unsigned v = 0, nd = 0;
		if (part > 0) {
			if (i >= len || p[i] != '.')
				return -1;
			i++;
		}
		while (i < len && p[i] >= '0' && p[i] <= '9' && nd < 4) {
			v = v * 10 + (unsigned)(p[i] - '0');
			nd++;
			i++;
		}
		if (nd == 0 || nd > 3 || v > 255)
			return -1;
	}
	return i == len ? 0 : -1;
}

/* address-literal at *ip ('['). */
static int
parse_literal(const char *p, size_t len, size_t *ip, char *out, const char **reason)
{
	size_t i = *ip + 1, s = i, n;
	char tmp[64], canon[INET6_ADDRSTRLEN];
	struct in6_addr a6;

	while (i < len && p[i] != ']' && i - s < 60)
		i++;
	if (i >= len || p[i] != ']') {
		*reason = "bad address literal";
		return -1;
	}
	n = i - s;
	if (n >= 5 && strncasecmp(p + s, "IPv6:", 5) == 0) {
		if (n - 5 >= sizeof(tmp)) {
			*reason = "bad IPv6 address literal";
			return -1;
		}
		memcpy(tmp, p + s + 5, n - 5);
		tmp[n - 5] = 0;
		for (size_t k = 0; k < n - 5; k++)
			if (!(is_letdig((unsigned char)tmp[k]) || tmp[k] == ':' || tmp[k] == '.')) {
				*reason = "bad IPv6 address literal";
				return -1;
			}
		if (inet_pton(AF_INET6, tmp, &a6) != 1 ||
		    !inet_ntop(AF_INET6, &a6, canon, sizeof(canon))) {
			*reason = "bad IPv6 address literal";
			return -1;
		}
		snprintf(out, SMTPADDR_DOMAIN_MAX + 1, "[IPv6:%s]", canon);
	} else if (parse_ipv4(p + s, n) == 0) {
		out[0] = '[';
		memcpy(out + 1, p + s, n);
		out[n + 1] = ']';
		out[n + 2] = 0;
	} else {
		*reason = memchr(p + s, ':', n) ? "unsupported address literal" :
		    "bad address literal";
		return -1;
	}
	*ip = i + 1;
	return 0;
}

/* Domain (or literal when allow_lit) at *ip, canonical into out. */
static int
parse_domain_at(const char *p, size_t len, size_t *ip, unsigned flags, int allow_lit,
    char *out, int *is_lit, int *utf8, const char **reason)
{
	size_t i = *ip, start = *ip, o = 0, n;
	int allow8 = (flags & SMTPADDR_UTF8) != 0;

	*is_lit = 0;
	if (i < len && p[i] == '[') {
		if (!allow_lit) {
			*reason = "address literal not allowed here";
			return -1;
		}
		*is_lit = 1;
		return parse_literal(p, len, ip, out, reason);
	}
	for (;;) {
		size_t ls = i;
		int last_hyphen = 0;
		while (i < len) {
			unsigned char c = (unsigned char)p[i];
			if (is_letdig(c)) {
				out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
				last_hyphen = 0;
				i++;
			} else if (c == '-' && i > ls) {
				out[o++] = '-';
				last_hyphen = 1;
				i++;
			} else if (c >= 0x80 && allow8) {
				n = smtpaddr_utf8_seq((const unsigned char *)p + i, len - i);
				if (n == 0) {
					*reason = "invalid UTF-8 in domain";
					return -1;
				}
				if (i - start + n > SMTPADDR_DOMAIN_MAX) {
					*reason = "domain too long";
					return -1;
				}
				memcpy(out + o, p + i, n);
				o += n;
				i += n;
				last_hyphen = 0;
				*utf8 = 1;
			} else if (c >= 0x80) {
				*reason = "8-bit domain without SMTPUTF8";
				return -1;
			} else
				break;
			if (i - start > SMTPADDR_DOMAIN_MAX) {
				*reason = "domain too long";
				return -1;
			}
		}
		if (i == ls || last_hyphen) {
			*reason = "syntax error in domain";
			return -1;
		}
		if (i - ls > 63) {
			*reason = "domain label too long";
			return -1;
		}
		if (i - start > SMTPADDR_DOMAIN_MAX) {
			*reason = "domain too long";
			return -1;
		}
		if (i < len && p[i] == '.') {
			if (i - start + 1 > SMTPADDR_DOMAIN_MAX) {
				*reason = "domain too long";
				return -1;
			}
			out[o++] = '.';
			i++;
			continue;
		}
		break;
	}
	out[o] = 0;
	*ip = i;
	return 0;
}

static int
build_addr(struct smtpaddr *out, const char *value, size_t vlen, const char **reason)
{
	size_t o = 0;
	int n;

	if (smtpaddr_local_is_dot_atom(value, vlen, 1)) {
		memcpy(out->local, value, vlen);
		out->local[vlen] = 0;
	} else {
		char tmp[2 * SMTPADDR_LOCAL_MAX + 3];
		tmp[o++] = '"';
		for (size_t k = 0; k < vlen; k++) {
			if (value[k] == '"' || value[k] == '\\')
				tmp[o++] = '\\';
			tmp[o++] = value[k];
		}
		tmp[o++] = '"';
		if (o > SMTPADDR_LOCAL_MAX) {
			*reason = "local part too long";
			return -1;
		}
		memcpy(out->local, tmp, o);
		out->local[o] = 0;
	}
	n = snprintf(out->addr, sizeof(out->addr), "%s@%s", out->local, out->domain);
	if (n < 0 || (size_t)n >= sizeof(out->addr)) {
		*reason = "address too long";
		return -1;
	}
	return 0;
}

static int
parse_mailbox_at(const char *p, size_t len, size_t *ip, unsigned flags,
    struct smtpaddr *out, const char **reason)
{
	size_t i = *ip, vlen;
	int utf8 = 0;

	if (parse_local(p, len, &i, flags, out->local_value, &vlen, &utf8, reason) < 0)
		return -1;
	if (i >= len || p[i] != '@') {
		*reason = i >= len || p[i] == '>' ? "missing domain" : "syntax error in local part";
		return -1;
	}
	i++;
	if (parse_domain_at(p, len, &i, flags, 1, out->domain, &out->is_literal, &utf8,
	    reason) < 0)
		return -1;
	out->has_utf8 = utf8;
	if (build_addr(out, out->local_value, vlen, reason) < 0)
		return -1;
	*ip = i;
	return 0;
}

int
smtpaddr_parse_path(const char *p, size_t len, unsigned flags,
    struct smtpaddr *out, size_t *consumed, const char **reason)
{
	size_t i = 0;
	char route[SMTPADDR_DOMAIN_MAX + 1];
	int lit, utf8 = 0;

	memset(out, 0, sizeof(*out));
	*reason = "syntax error";
	if (len == 0 || p[0] != '<') {
		*reason = "path must be enclosed in <>";
		return -1;
	}
	i = 1;
	if (i < len && p[i] == '>') {
		if (!(flags & SMTPADDR_ALLOW_NULL)) {
			*reason = "null path not allowed here";
			return -1;
		}
		out->is_null = 1;
		*consumed = 2;
		return 0;
	}
	if ((flags & SMTPADDR_POSTMASTER) && len >= 12 &&
	    strncasecmp(p + 1, "postmaster>", 11) == 0) {
		out->is_postmaster = 1;
		strcpy(out->addr, "postmaster");
		strcpy(out->local, "postmaster");
		strcpy(out->local_value, "postmaster");
		*consumed = 12;
		return 0;
	}
	/* RFC 5321 4.1.2 A-d-l: accepted and ignored (C.2: MUST ignore) */
	if (i < len && p[i] == '@') {
		for (;;) {
			if (i >= len || p[i] != '@') {
				*reason = "syntax error in source route";
				return -1;
			}
			i++;
			if (parse_domain_at(p, len, &i, flags, 1, route, &lit, &utf8, reason) < 0)
				return -1;
			if (i > SMTPADDR_PATH_MAX) {
				*reason = "path too long";
				return -1;
			}
			if (i < len && p[i] == ',') {
				i++;
				continue;
			}
			if (i < len && p[i] == ':') {
				i++;
				break;
			}
			*reason = "syntax error in source route";
			return -1;
		}
	}
	if (parse_mailbox_at(p, len, &i, flags, out, reason) < 0)
		return -1;
	if (i >= len || p[i] != '>') {
		*reason = i >= len ? "missing >" : "syntax error in domain";
		return -1;
	}
	i++;
	if (i > SMTPADDR_PATH_MAX) {
		*reason = "path too long";
		return -1;
	}
	*consumed = i;
	return 0;
}

int
smtpaddr_parse_mailbox(const char *p, size_t len, unsigned flags,
    struct smtpaddr *out, const char **reason)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	if (len > SMTPADDR_PATH_MAX - 2) {
		*reason = "address too long";
		return -1;
	}
	if (parse_mailbox_at(p, len, &i, flags & SMTPADDR_UTF8, out, reason) < 0)
		return -1;
	if (i != len) {
		*reason = "syntax error in domain";
		return -1;
	}
	return 0;
}

int
smtpaddr_parse_domain(const char *p, size_t len, unsigned flags,
    char *out, int *is_literal, const char **reason)
{
	size_t i = 0;
	int utf8 = 0, lit = 0;

	if (len > SMTPADDR_DOMAIN_MAX) {
		*reason = "domain too long";
		return -1;
	}
	if (parse_domain_at(p, len, &i, flags, 1, out, &lit, &utf8, reason) < 0)
		return -1;
	if (i != len) {
		*reason = "syntax error in domain";
		return -1;
	}
	if (is_literal)
		*is_literal = lit;
	return 0;
}
