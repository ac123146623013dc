/* routes.c: parser and lookup of the routes table and the secrets file
 * (formats in routes.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "routes.h"
#include "table.h"

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

/* next white-space separated word of s from *i; NULL at the end */
static char *
next_word(const char *s, size_t len, size_t *i)
{
	size_t start;

	while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
	if (*i >= len)
		return NULL;
	start = *i;
	while (*i < len && s[*i] != ' ' && s[*i] != '\t')
		(*i)++;
	return xstrndup(s + start, *i - start);
}

static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '.' && c != '_' &&
		    c != ':')
			return 0;
	}
	return 1;
}

static int
parse_port(const char *s, unsigned *port)
{
	unsigned long v = 0;
	size_t i;

	if (!*s || strlen(s) > 5)
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

static int
parse_dest(struct route *r, const char *d)
{
	const char *colon;
	char *host;

	if (d[0] == '[') {
		const char *close = strchr(d, ']');
		if (!close || close == d + 1)
			return -1;
		host = xstrndup(d + 1, (size_t)(close - d - 1));
		if (strncasecmp(host, "IPv6:", 5) == 0)
			memmove(host, host + 5, strlen(host + 5) + 1);
		r->no_mx = 1;
		if (close[1] == ':') {
			if (parse_port(close + 2, &r->port) < 0)
				goto bad;
		} else if (close[1] != '\0')
			goto bad;
	} else {
		colon = strchr(d, ':');
		host = xstrndup(d, colon ? (size_t)(colon - d) : strlen(d));
		if (colon && parse_port(colon + 1, &r->port) < 0)
			goto bad;
		if (strchr(host, ':'))
			goto bad;
	}
	if (!valid_name(host))
		goto bad;
	r->host = host;
	return 0;
bad:
	free(host);
	return -1;
}

static void
route_clear(struct route *r)
{
	free(r->domain);
	free(r->host);
	free(r->auth);
	free(r->ca_file);
}

static int
parse_route(struct route *r, const struct table_entry *e, char *why,
    size_t whylen)
{
	size_t i = 0;
	char *w;

	memset(r, 0, sizeof *r);
	r->line = e->line;
	r->domain = next_word(e->text, e->len, &i);
	if (!r->domain || (strcmp(r->domain, "*") != 0 &&
	    (!valid_name(r->domain) || strchr(r->domain, ':')))) {
		snprintf(why, whylen, "bad domain");
		return -1;
	}
	w = next_word(e->text, e->len, &i);
	if (!w || parse_dest(r, w) < 0) {
		snprintf(why, whylen, "bad destination (want [host]:port or host:port)");
		free(w);
		return -1;
	}
	free(w);
	while ((w = next_word(e->text, e->len, &i)) != NULL) {
		if (strcmp(w, "tls=may") == 0)
			r->tls = ROUTE_TLS_MAY;
		else if (strcmp(w, "tls=must") == 0)
			r->tls = ROUTE_TLS_MUST;
		else if (strcmp(w, "tls=none") == 0)
			r->tls = ROUTE_TLS_NONE;
		else if (strncmp(w, "auth=", 5) == 0 && w[5] && !r->auth)
			r->auth = xstrdup(w + 5);
		else if (strncmp(w, "ca=", 3) == 0 && w[3] == '/' && !r->ca_file)
			r->ca_file = xstrdup(w + 3);
		else {
			snprintf(why, whylen, "unknown or repeated option");
			free(w);
			return -1;
		}
		free(w);
	}
	return 0;
}

struct routes *
routes_parse(const char *name, const char *p, size_t len, char *err,
    size_t errlen)
{
	struct table *t = table_parse(name, p, len, err, errlen);
	struct routes *rt;
	size_t i;

	if (!t)
		return NULL;
	rt = xcalloc(1, sizeof *rt);
	rt->r = xcalloc(t->count ? t->count : 1, sizeof *rt->r);
	for (i = 0; i < t->count; i++) {
		char why[80];
		if (parse_route(&rt->r[rt->n], &t->entries[i], why, sizeof why) < 0) {
			seterr(err, errlen, "%s:%u: %s", name, t->entries[i].line, why);
			route_clear(&rt->r[rt->n]);
			table_free(t);
			routes_free(rt);
			return NULL;
		}
		rt->n++;
	}
	table_free(t);
	return rt;
}

struct routes *
routes_load(const char *path, char *err, size_t errlen)
{
	struct table *t = table_load(path, ROUTES_MAX_BYTES, 1, err, errlen);
	struct buf b = BUF_INIT;
	struct routes *rt;
	size_t i;

	/* re-join the trimmed entries: routes_parse keeps the line numbers
	 * through blank lines */
	if (!t)
		return NULL;
	for (i = 0; i < t->count; i++) {
		unsigned line = i ? t->entries[i - 1].line : 0;
		while (++line < t->entries[i].line)
			buf_putc(&b, '\n');
		buf_append(&b, t->entries[i].text, t->entries[i].len);
		buf_putc(&b, '\n');
	}
	rt = routes_parse(path, b.p ? b.p : "", b.len, err, errlen);
	buf_free(&b);
	table_free(t);
	return rt;
}

void
routes_free(struct routes *rt)
{
	size_t i;

	if (!rt)
		return;
	for (i = 0; i < rt->n; i++)
		route_clear(&rt->r[i]);
	free(rt->r);
	free(rt);
}

const struct route *
routes_lookup(const struct routes *rt, const char *domain, size_t len)
{
	const struct route *best = NULL, *star = NULL;
	size_t best_len = 0, i;

	if (!rt)
		return NULL;
	if (len > 0 && domain[len - 1] == '.')
		len--;
	for (i = 0; i < rt->n; i++) {
		const struct route *r = &rt->r[i];
		size_t dl = strlen(r->domain);

		if (strcmp(r->domain, "*") == 0) {
			if (!star)
				star = r;
		} else if (r->domain[0] == '.') {
			if (len > dl && strncasecmp(domain + len - dl,
			    r->domain, dl) == 0 && dl > best_len) {
				best = r;
				best_len = dl;
			}
		} else if (dl == len && strncasecmp(domain, r->domain, len) == 0)
			return r;
	}
	return best ? best : star;
}

struct secrets *
secrets_parse(const char *name, const char *p, size_t len, char *err,
    size_t errlen)
{
	struct table *t = table_parse(name, p, len, err, errlen);
	struct secrets *s;
	size_t i;

	if (!t)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->s = xcalloc(t->count ? t->count : 1, sizeof *s->s);
	for (i = 0; i < t->count; i++) {
		const struct table_entry *e = &t->entries[i];
		struct secret *x = &s->s[s->n];
		size_t j = 0;

		x->name = next_word(e->text, e->len, &j);
		x->user = next_word(e->text, e->len, &j);
		while (j < e->len && (e->text[j] == ' ' || e->text[j] == '\t'))
			j++;
		s->n++;
		if (!x->name || !x->user || j >= e->len) {
			seterr(err, errlen, "%s:%u: want NAME USER PASSWORD",
			    name, e->line);
			table_free(t);
			secrets_free(s);
			return NULL;
		}
		x->password = xstrndup(e->text + j, e->len - j);
	}
	for (i = 0; i < t->count; i++)
		explicit_bzero(t->entries[i].text, t->entries[i].len);
	table_free(t);
	return s;
}

struct secrets *
secrets_load(const char *path, char *err, size_t errlen)
{
	struct secrets *s;
	struct stat st;
	char *data;
	ssize_t n;
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & 077) {
		seterr(err, errlen, "%s: readable by group or others (want 0600)",
		    path);
		close(fd);
		return NULL;
	}
	if (st.st_size > SECRETS_MAX_BYTES) {
		seterr(err, errlen, "%s: too large", path);
		close(fd);
		return NULL;
	}
	data = xmalloc(SECRETS_MAX_BYTES + 1);
	while ((n = read(fd, data + have, SECRETS_MAX_BYTES + 1 - have)) > 0)
		have += (size_t)n;
	close(fd);
	if (n < 0 || have > SECRETS_MAX_BYTES) {
		seterr(err, errlen, "%s: read error or too large", path);
		explicit_bzero(data, have);
		free(data);
		return NULL;
	}
	s = secrets_parse(path, data, have, err, errlen);
	explicit_bzero(data, have);
	free(data);
	return s;
}

void
secrets_free(struct secrets *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->s[i].password) {
			explicit_bzero(s->s[i].password, strlen(s->s[i].password));
			free(s->s[i].password);
		}
		free(s->s[i].name);
		free(s->s[i].user);
	}
	free(s->s);
	free(s);
}

const struct secret *
secrets_lookup(const struct secrets *s, const char *name)
{
	size_t i;

	if (!s || !name)
		return NULL;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->s[i].name, name) == 0)
			return &s->s[i];
	return NULL;
}
