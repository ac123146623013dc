/* recipient.c: local recipient resolution over the domains table, the
 * user list and the aliases table (rules in recipient.h). */
#include "recipient.h"
#include "buf.h"
#include "config.h"
#include "smtpaddr.h"
#include "table.h"
#include "userlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define TABLE_MAX_BYTES   (16u * 1024 * 1024)
#define ALIAS_MAX_TARGETS_PER_LINE 1000
#define RESOLVE_MAX_WORK  20000     /* lookups per resolution */
#define DEPTH_HARD_MAX    100

struct alias_target {
	char *local;     /* value as written */
	char *domain;    /* canonical, NULL for a bare name */
};

struct alias {
	char *key;       /* "name" or "name@domain", lower-cased */
	struct alias_target *targets;
	size_t ntargets;
};

struct user_key {
	char *key;       /* lower-cased name */
	size_t index;    /* into the user list */
};

struct recipient_tables {
	char **domains;  /* sorted, canonical */
	size_t ndomains;
	struct userlist *users;
	struct user_key *ukeys;   /* sorted by key, then index */
	size_t nukeys;
	struct alias *aliases;    /* sorted by key */
	size_t naliases;
	char *delimiter;
	char *postmaster;         /* canonical address or NULL */
	unsigned max_depth, max_targets;
};

static void
ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_ukey(const void *a, const void *b)
{
	const struct user_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int
cmp_alias(const void *a, const void *b)
{
	return strcmp(((const struct alias *)a)->key, ((const struct alias *)b)->key);
}

void
recipient_tables_free(struct recipient_tables *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ndomains; i++)
		free(t->domains[i]);
	free(t->domains);
	userlist_free(t->users);
	for (size_t i = 0; i < t->nukeys; i++)
		free(t->ukeys[i].key);
	free(t->ukeys);
	for (size_t i = 0; i < t->naliases; i++) {
		for (size_t j = 0; j < t->aliases[i].ntargets; j++) {
			free(t->aliases[i].targets[j].local);
			free(t->aliases[i].targets[j].domain);
		}
		free(t->aliases[i].targets);
		free(t->aliases[i].key);
	}
	free(t->aliases);
	free(t->delimiter);
	free(t->postmaster);
	free(t);
}

static int
load_domains(struct recipient_tables *t, const struct table *tab, char *err, size_t errlen)
{
	char dom[SMTPADDR_DOMAIN_MAX + 1];
	const char *why;

	t->domains = xcalloc(tab->count ? tab->count : 1, sizeof(char *));
	for (size_t i = 0; i < tab->count; i++) {
		const struct table_entry *e = &tab->entries[i];
		if (smtpaddr_parse_domain(e->text, e->len, SMTPADDR_UTF8, dom, NULL, &why) < 0) {
			snprintf(err, errlen, "%s:%u: %s", tab->path, e->line, why);
			return -1;
		}
		t->domains[t->ndomains++] = xstrdup(dom);
	}
	qsort(t->domains, t->ndomains, sizeof(char *), cmp_str);
	return 0;
}

static int
index_users(struct recipient_tables *t)
{
	size_t n = userlist_count(t->users);

	t->ukeys = xcalloc(n ? n : 1, sizeof(*t->ukeys));
	for (size_t i = 0; i < n; i++) {
		t->ukeys[i].key = xstrdup(userlist_at(t->users, i)->name);
		ascii_lower(t->ukeys[i].key);
		t->ukeys[i].index = i;
	}
	t->nukeys = n;
	qsort(t->ukeys, n, sizeof(*t->ukeys), cmp_ukey);
	return 0;
}

/* A bare alias key or target: like a dot-atom local part, or any printable
 * non-space text without '@', ':' or ','. */
static int
bare_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > SMTPADDR_LOCAL_MAX)
		return 0;
	if (!smtpaddr_utf8_valid(s, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7f || c == '@' || c == ':' || c == ',' || c == '"' ||
		    c == '\\')
			return 0;
	}
	return 1;
}

/* Parses "name" or "local@domain"; the local part is lower-cased for
 * keys (lower) and kept as written for targets (a forward keeps its case). */
static int
parse_name(const char *s, size_t n, int lower, char **local, char **domain,
    const char **why)
{
	struct smtpaddr a;

	if (memchr(s, '@', n)) {
		if (smtpaddr_parse_mailbox(s, n, SMTPADDR_UTF8, &a, why) < 0)
			return -1;
		*local = xstrdup(a.local_value);
		*domain = xstrdup(a.domain);
	} else {
		if (!bare_name_ok(s, n)) {
			*why = "bad name";
			return -1;
		}
		*local = xstrndup(s, n);
		*domain = NULL;
	}
	if (lower)
		ascii_lower(*local);
	return 0;
}

static char *
make_key(const char *local, const char *domain)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, local);
	if (domain) {
		buf_putc(&b, '@');
		buf_puts(&b, domain);
	}
	buf_cstr(&b);
	return buf_steal(&b, NULL);
}

static int
load_aliases(struct recipient_tables *t, const struct table *tab, char *err, size_t errlen)
{
	const char *why;

	t->aliases = xcalloc(tab->count ? tab->count : 1, sizeof(*t->aliases));
	for (size_t i = 0; i < tab->count; i++) {
		const struct table_entry *e = &tab->entries[i];
		const char *colon = memchr(e->text, ':', e->len);
		struct alias *al = &t->aliases[t->naliases];
		char *l = NULL, *d = NULL;
		size_t kl, p;

		if (!colon) {
			snprintf(err, errlen, "%s:%u: missing ':'", tab->path, e->line);
			return -1;
		}
		kl = (size_t)(colon - e->text);
		while (kl > 0 && (e->text[kl - 1] == ' ' || e->text[kl - 1] == '\t'))
			kl--;
		if (parse_name(e->text, kl, 1, &l, &d, &why) < 0) {
			snprintf(err, errlen, "%s:%u: alias name: %s", tab->path, e->line, why);
			return -1;
		}
		al->key = make_key(l, d);
		free(l);
		free(d);
		t->naliases++;
		p = (size_t)(colon - e->text) + 1;
		for (;;) {
			size_t s, q;
			while (p < e->len && (e->text[p] == ' ' || e->text[p] == '\t'))
				p++;
			s = p;
			while (p < e->len && e->text[p] != ',')
				p++;
			q = p;
			while (q > s && (e->text[q - 1] == ' ' || e->text[q - 1] == '\t'))
				q--;
			if (q == s) {
				snprintf(err, errlen, "%s:%u: empty alias target", tab->path, e->line);
				return -1;
			}
			if (e->text[s] == '|' || e->text[s] == '/') {
				snprintf(err, errlen, "%s:%u: pipe and file targets belong in the user's rule file",
				    tab->path, e->line);
				return -1;
			}
			if (al->ntargets >= ALIAS_MAX_TARGETS_PER_LINE) {
				snprintf(err, errlen, "%s:%u: too many targets", tab->path, e->line);
				return -1;
			}
			al->targets = xreallocarray(al->targets, al->ntargets + 1, sizeof(*al->targets));
			if (parse_name(e->text + s, q - s, 0, &al->targets[al->ntargets].local,
			    &al->targets[al->ntargets].domain, &why) < 0) {
				snprintf(err, errlen, "%s:%u: alias target: %s", tab->path, e->line, why);
				return -1;
			}
			al->ntargets++;
			if (p >= e->len)
				break;
			p++;  /* ',' */
		}
	}
	qsort(t->aliases, t->naliases, sizeof(*t->aliases), cmp_alias);
	for (size_t i = 1; i < t->naliases; i++)
		if (strcmp(t->aliases[i - 1].key, t->aliases[i].key) == 0) {
			snprintf(err, errlen, "%s: duplicate alias %s", tab->path, t->aliases[i].key);
			return -1;
		}
	return 0;
}

static int
apply_settings(struct recipient_tables *t, const struct recipient_settings *s,
    char *err, size_t errlen)
{
	const char *delim = s && s->delimiter ? s->delimiter : "+";
	const char *why;

	for (const char *c = delim; *c; c++)
		if (*c <= ' ' || *c == '@' || *c == '"' || *c == '\\' || (unsigned char)*c >= 0x7f) {
			snprintf(err, errlen, "recipient_delimiter: bad character");
			return -1;
		}
	t->delimiter = xstrdup(delim);
	t->max_depth = s && s->alias_max_depth ? s->alias_max_depth : 10;
	if (t->max_depth > DEPTH_HARD_MAX)
		t->max_depth = DEPTH_HARD_MAX;
	t->max_targets = s && s->alias_max_targets ? s->alias_max_targets : 1000;
	if (s && s->postmaster && *s->postmaster) {
		struct smtpaddr a;
		if (smtpaddr_parse_mailbox(s->postmaster, strlen(s->postmaster), SMTPADDR_UTF8,
		    &a, &why) < 0) {
			snprintf(err, errlen, "postmaster: %s", why);
			return -1;
		}
		t->postmaster = xstrdup(a.addr);
	}
	return 0;
}

static struct recipient_tables *
build(const struct table *dt, struct userlist *ul, const struct table *at,
    const struct recipient_settings *s, char *err, size_t errlen)
{
	struct recipient_tables *t = xcalloc(1, sizeof(*t));

	t->users = ul;
	if (apply_settings(t, s, err, errlen) < 0 || load_domains(t, dt, err, errlen) < 0 ||
	    index_users(t) < 0 || load_aliases(t, at, err, errlen) < 0) {
		recipient_tables_free(t);
		return NULL;
	}
	return t;
}

struct recipient_tables *
recipient_tables_parse(const char *domains, size_t dlen, const char *users, size_t ulen,
    const char *aliases, size_t alen, const struct recipient_settings *settings,
    char *err, size_t errlen)
{
	struct table *dt = NULL, *at = NULL;
	struct userlist *ul = NULL;
	struct recipient_tables *t = NULL;

	if (!(dt = table_parse("domains", domains, dlen, err, errlen)) ||
	    !(at = table_parse("aliases", aliases, alen, err, errlen)) ||
	    !(ul = userlist_parse("users", users, ulen, err, errlen)))
		goto out;
	t = build(dt, ul, at, settings, err, errlen);
	ul = NULL;   /* owned by t (or freed with it) */
out:
	table_free(dt);
	table_free(at);
	userlist_free(ul);
	return t;
}

struct recipient_tables *
recipient_tables_load(const struct config *c, char *err, size_t errlen)
{
	const char *dp = config_str(c, "domains_file");
	const char *up = config_str(c, "users_file");
	const char *ap = config_str(c, "aliases_file");
	struct recipient_settings s;
	struct table *dt = NULL, *at = NULL;
	struct userlist *ul = NULL;
	struct recipient_tables *t = NULL;

	s.delimiter = config_str(c, "recipient_delimiter");
	s.postmaster = config_str(c, "postmaster");
	s.alias_max_depth = (unsigned)config_int(c, "alias_max_depth");
	s.alias_max_targets = (unsigned)config_int(c, "alias_max_targets");
	if (!s.delimiter)
		s.delimiter = "";
	dt = dp && *dp ? table_load(dp, TABLE_MAX_BYTES, 0, err, errlen) :
	    table_parse("domains", "", 0, err, errlen);
	if (!dt)
		goto out;
	at = ap && *ap ? table_load(ap, TABLE_MAX_BYTES, 1, err, errlen) :
	    table_parse("aliases", "", 0, err, errlen);
	if (!at)
		goto out;
	ul = up && *up ? userlist_load(up, 0, err, errlen) :
	    userlist_parse("users", "", 0, err, errlen);
	if (!ul)
		goto out;
	t = build(dt, ul, at, &s, err, errlen);
	ul = NULL;
out:
	table_free(dt);
	table_free(at);
	userlist_free(ul);
	return t;
}

void
recipient_file_sig(const char *path, struct recipient_file_sig *g)
{
	struct stat sb;

	memset(g, 0, sizeof(*g));
	if (path == NULL || *path == '\0' || stat(path, &sb) < 0)
		return;
	g->present = 1;
	g->dev = sb.st_dev;
	g->ino = sb.st_ino;
	g->size = sb.st_size;
	g->mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
	g->ctime_ns = (long long)sb.st_ctim.tv_sec * 1000000000LL + sb.st_ctim.tv_nsec;
}

struct recipient_tables *
recipient_tables_cached(struct recipient_cache *rc, const struct config *c,
    char *err, size_t errlen)
{
	struct recipient_file_sig now[3];

	recipient_file_sig(config_str(c, "domains_file"), &now[0]);
	recipient_file_sig(config_str(c, "users_file"), &now[1]);
	recipient_file_sig(config_str(c, "aliases_file"), &now[2]);
	if (rc->t != NULL && memcmp(now, rc->sig, sizeof(now)) == 0)
		return rc->t;
	recipient_tables_free(rc->t);
	rc->loads++;
	rc->t = recipient_tables_load(c, err, errlen);
	if (rc->t != NULL)
		memcpy(rc->sig, now, sizeof(now));
	return rc->t;
}

void
recipient_cache_free(struct recipient_cache *rc)
{
	recipient_tables_free(rc->t);
	memset(rc, 0, sizeof(*rc));
}

int
recipient_domain_is_local(const struct recipient_tables *t, const char *domain, size_t len)
{
	char dom[SMTPADDR_DOMAIN_MAX + 1];
	char *key = dom;
	const char *why;

	if (smtpaddr_parse_domain(domain, len, SMTPADDR_UTF8, dom, NULL, &why) < 0)
		return 0;
	return bsearch(&key, t->domains, t->ndomains, sizeof(char *), cmp_str) != NULL;
}

static const struct alias *
find_alias(const struct recipient_tables *t, const char *key)
{
	struct alias k = { .key = (char *)key };
	return bsearch(&k, t->aliases, t->naliases, sizeof(k), cmp_alias);
}

/* User by lower-cased key; first entry of that key in file order. */
static const struct userlist_entry *
find_user(const struct recipient_tables *t, const char *key)
{
	size_t lo = 0, hi = t->nukeys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->ukeys[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->nukeys && strcmp(t->ukeys[lo].key, key) == 0)
		return userlist_at(t->users, t->ukeys[lo].index);
	return NULL;
}

struct ctx {
	const struct recipient_tables *t;
	struct recipient_list *out;
	unsigned work;
	const char *reason;
	const char *path[DEPTH_HARD_MAX + 1];   /* alias keys being expanded */
	unsigned depth;
};

static struct recipient_target *
add_target(struct ctx *x)
{
	struct recipient_list *l = x->out;
	if (l->n == l->cap) {
		l->cap = l->cap ? size_mul(l->cap, 2) : 4;
		l->t = xreallocarray(l->t, l->cap, sizeof(*l->t));
	}
	memset(&l->t[l->n], 0, sizeof(l->t[0]));
	return &l->t[l->n++];
}

static int
add_user(struct ctx *x, const struct userlist_entry *u, const char *ext)
{
	struct recipient_target *r;

	for (size_t i = 0; i < x->out->n; i++) {
		r = &x->out->t[i];
		if (r->kind == RECIPIENT_LOCAL_USER && strcmp(r->user, u->name) == 0 &&
		    ((!r->extension && !ext) || (r->extension && ext && strcmp(r->extension, ext) == 0)))
			return RECIPIENT_FOUND;
	}
	if (x->out->n >= x->t->max_targets) {
		x->reason = "alias expansion too large";
		return RECIPIENT_TOO_MANY;
	}
	r = add_target(x);
	r->kind = RECIPIENT_LOCAL_USER;
	r->user = xstrdup(u->name);
	r->uid = u->uid;
	r->gid = u->gid;
	r->home = xstrdup(u->home);
	r->quota_bytes = u->quota_bytes;
	r->quota_messages = u->quota_messages;
	r->extension = ext ? xstrdup(ext) : NULL;
	return RECIPIENT_FOUND;
}

static int
add_forward(struct ctx *x, const char *local, const char *domain)
{
	struct smtpaddr a;
	struct recipient_target *r;
	const char *why;
	char *s = make_key(local, domain);

	/* re-canonicalise: quotes where the local part needs them */
	if (smtpaddr_local_is_dot_atom(local, strlen(local), 1) == 0) {
		struct buf b = BUF_INIT;
		buf_putc(&b, '"');
		for (const char *c = local; *c; c++) {
			if (*c == '"' || *c == '\\')
				buf_putc(&b, '\\');
			buf_putc(&b, *c);
		}
		buf_printf(&b, "\"@%s", domain);
		free(s);
		buf_cstr(&b);
		s = buf_steal(&b, NULL);
	}
	if (smtpaddr_parse_mailbox(s, strlen(s), SMTPADDR_UTF8, &a, &why) < 0) {
		free(s);
		x->reason = "bad forward address";
		return RECIPIENT_UNKNOWN;
	}
	free(s);
	for (size_t i = 0; i < x->out->n; i++)
		if (x->out->t[i].kind == RECIPIENT_FORWARD && strcmp(x->out->t[i].address, a.addr) == 0)
			return RECIPIENT_FOUND;
	if (x->out->n >= x->t->max_targets) {
		x->reason = "alias expansion too large";
		return RECIPIENT_TOO_MANY;
	}
	r = add_target(x);
	r->kind = RECIPIENT_FORWARD;
	r->address = xstrdup(a.addr);
	return RECIPIENT_FOUND;
}

static int resolve(struct ctx *x, const char *local, const char *domain, int no_alias_key_of,
    const char *self_key);

static int
expand_alias(struct ctx *x, const struct alias *al, const char *domain)
{
	int r;

	for (unsigned i = 0; i < x->depth; i++)
		if (strcmp(x->path[i], al->key) == 0) {
			x->reason = "alias loop";
			return RECIPIENT_LOOP;
		}
	if (x->depth >= x->t->max_depth) {
		x->reason = "aliases nested too deeply";
		return RECIPIENT_LOOP;
	}
	x->path[x->depth++] = al->key;
	for (size_t i = 0; i < al->ntargets; i++) {
		const struct alias_target *tg = &al->targets[i];
		const char *d = tg->domain ? tg->domain : domain;
		r = resolve(x, tg->local, d, 1, al->key);
		if (r == RECIPIENT_NOT_LOCAL)
			r = add_forward(x, tg->local, d);
		if (r != RECIPIENT_FOUND) {
			if (r == RECIPIENT_UNKNOWN && !x->reason)
				x->reason = "alias target does not exist";
			x->depth--;
			return r;
		}
	}
	x->depth--;
	return RECIPIENT_FOUND;
}

/* One name: aliases, then users; returns FOUND, UNKNOWN (nothing matched)
 * or an error. */
static int
try_name(struct ctx *x, const char *name, const char *domain, const char *ext,
    const char *self_key)
{
	char *full = domain ? make_key(name, domain) : NULL;
	const struct alias *al = NULL;
	const struct userlist_entry *u = NULL;
	int r = RECIPIENT_UNKNOWN;

	if (++x->work > RESOLVE_MAX_WORK) {
		free(full);
		x->reason = "alias expansion too large";
		return RECIPIENT_TOO_MANY;
	}
	/* the alias that names itself means the user (sendmail's rule) */
	if (full && !(self_key && strcmp(self_key, full) == 0))
		al = find_alias(x->t, full);
	if (!al && !(self_key && strcmp(self_key, name) == 0))
		al = find_alias(x->t, name);
	if (al) {
		/* reached with the extension stripped too: the alias wins, ext dropped */
		r = expand_alias(x, al, domain);
	} else {
		if (full)
			u = find_user(x->t, full);
		if (!u)
			u = find_user(x->t, name);
		if (u)
			r = add_user(x, u, ext);
	}
	free(full);
	return r;
}

static int
resolve(struct ctx *x, const char *local, const char *domain, int nested, const char *self_key)
{
	const struct recipient_tables *t = x->t;
	char *lower;
	int r;

	if (domain && !recipient_domain_is_local(t, domain, strlen(domain)))
		return RECIPIENT_NOT_LOCAL;
	lower = xstrdup(local);
	ascii_lower(lower);
	r = try_name(x, lower, domain, NULL, self_key);
	if (r == RECIPIENT_UNKNOWN && *t->delimiter && lower[0]) {
		size_t k = strcspn(lower + 1, t->delimiter) + 1;
		if (lower[k]) {
			char *base = xstrndup(lower, k);
			/* the extension keeps its case as written */
			r = try_name(x, base, domain, local + k + 1, self_key);
			free(base);
		}
	}
	if (r == RECIPIENT_UNKNOWN && strcmp(lower, "postmaster") == 0) {
		if (t->postmaster) {
			const char *at = strrchr(t->postmaster, '@');
			struct smtpaddr a;
			const char *why;
			if (smtpaddr_parse_mailbox(t->postmaster, strlen(t->postmaster),
			    SMTPADDR_UTF8, &a, &why) == 0 && at) {
				struct alias pm = { .key = (char *)"\001postmaster",
					.targets = &(struct alias_target){ a.local_value, a.domain },
					.ntargets = 1 };
				r = expand_alias(x, &pm, domain);
			}
		} else if (userlist_count(t->users) > 0)
			r = add_user(x, userlist_at(t->users, 0), NULL);
	}
	(void)nested;
	free(lower);
	return r;
}

enum recipient_status
recipient_resolve(const struct recipient_tables *t, const char *addr, size_t len,
    struct recipient_list *out, const char **reason)
{
	struct ctx x;
	struct smtpaddr a;
	const char *why;
	int r;

	memset(&x, 0, sizeof(x));
	x.t = t;
	x.out = out;
	*reason = "ok";
	if (len == 10 && strncasecmp(addr, "postmaster", 10) == 0) {
		r = resolve(&x, "postmaster", NULL, 0, NULL);
	} else {
		if (smtpaddr_parse_mailbox(addr, len, SMTPADDR_UTF8, &a, &why) < 0) {
			*reason = why;
			return RECIPIENT_BAD_ADDRESS;
		}
		r = resolve(&x, a.local_value, a.domain, 0, NULL);
	}
	if (r != RECIPIENT_FOUND) {
		recipient_list_free(out);
		if (r == RECIPIENT_NOT_LOCAL)
			*reason = "not a local domain";
		else
			*reason = x.reason ? x.reason :
			    r == RECIPIENT_UNKNOWN ? "no such user" : "cannot resolve";
	}
	return (enum recipient_status)r;
}

void
recipient_list_free(struct recipient_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->t[i].user);
		free(l->t[i].home);
		free(l->t[i].extension);
		free(l->t[i].address);
	}
	free(l->t);
	l->t = NULL;
	l->n = l->cap = 0;
}
