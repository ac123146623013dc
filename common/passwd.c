/* passwd.c: the Dovecot-format passwd-file: parse, look up, edit, write back
 * atomically (see passwd.h).  Password hashing and verification live in
 * crypt_verify.c. */
#include "passwd.h"
#include "lines.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One line of the file: comments and blank lines are kept verbatim;
 * a user line also has its entry. */
struct pw_line {
	char *text;               /* without the LF */
	struct passwd_entry *e;   /* NULL for a comment or blank line */
};

struct passwd_file {
	struct pw_line *lines;
	size_t nlines, cap;
	struct passwd_entry **users;   /* in file order */
	size_t nusers;
	struct passwd_index ix;
};

/* ---- names ---- */

void
passwd_name_key(const char *name, size_t len, struct buf *out)
{
	const char *at = memrchr(name, '@', len);
	size_t local = at ? (size_t)(at - name) + 1 : len;
	buf_append(out, name, local);
	for (size_t i = local; i < len; i++)
		buf_putc(out, tolower((unsigned char)name[i]));
}

int
passwd_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return 0;
	const char *at = memrchr(a, '@', alen);
	size_t local = at ? (size_t)(at - a) + 1 : alen;
	if (memcmp(a, b, local) != 0)
		return 0;
	for (size_t i = local; i < alen; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

int
passwd_name_valid(const char *name, size_t len)
{
	size_t ats = 0, atpos = 0;
	if (len == 0 || len > PASSWD_MAX_NAME)
		return 0;
	if (name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = name[i];
		if (c <= 0x20 || c == 0x7f || c == ':' || c == '/' || c == '\\')
			return 0;
		if (c == '@') {
			ats++;
			atpos = i;
		}
	}
	if (ats > 1)
		return 0;
	if (ats == 1 && (atpos == 0 || atpos == len - 1))
		return 0;
	return 1;
}

/* ---- sorted index ---- */

/* qsort has no context argument in C11: sort an array of (key, pos). */
struct keypos {
	char *key;
	size_t pos;
};

static int
cmp_keypos(const void *a, const void *b)
{
	const struct keypos *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int
passwd_index_build(struct passwd_index *ix, char *const *names, size_t n,
    size_t *dup)
{
	struct keypos *kp = xreallocarray(NULL, n ? n : 1, sizeof(*kp));
	struct buf b = BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		buf_reset(&b);
		passwd_name_key(names[i], strlen(names[i]), &b);
		kp[i].key = xstrdup(buf_cstr(&b));
		kp[i].pos = i;
	}
	buf_free(&b);
	qsort(kp, n, sizeof(*kp), cmp_keypos);
	ix->keys = xreallocarray(NULL, n ? n : 1, sizeof(char *));
	ix->pos = xreallocarray(NULL, n ? n : 1, sizeof(size_t));
	ix->n = n;
	for (size_t i = 0; i < n; i++) {
		ix->keys[i] = kp[i].key;
		ix->pos[i] = kp[i].pos;
		if (rc == 0 && i > 0 && strcmp(kp[i].key, kp[i - 1].key) == 0) {
			rc = -1;
			if (dup)
				*dup = kp[i].pos;
		}
	}
	free(kp);
	return rc;
}

size_t
passwd_index_find(const struct passwd_index *ix, const char *name, size_t len)
{
	struct buf b = BUF_INIT;
	size_t lo = 0, hi = ix->n, found = (size_t)-1;

	if (len == 0 || len > PASSWD_MAX_NAME || memchr(name, 0, len))
		return found;
	passwd_name_key(name, len, &b);
	const char *k = buf_cstr(&b);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(k, ix->keys[mid]);
		if (c == 0) {
			found = ix->pos[mid];
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	buf_free(&b);
	return found;
}

void
passwd_index_free(struct passwd_index *ix)
{
	if (ix->keys)
		for (size_t i = 0; i < ix->n; i++)
			free(ix->keys[i]);
	free(ix->keys);
	free(ix->pos);
	ix->keys = NULL;
	ix->pos = NULL;
	ix->n = 0;
}

/* ---- numbers and quota ---- */

int
passwd_parse_decimal(const char *p, size_t len, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;
	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A size: digits with an optional B/K/M/G/T suffix (powers of 1024). */
static int
parse_size(const char *p, size_t len, unsigned long long *out)
{
	unsigned long long mult = 1, v;
	if (len > 0) {
		switch (p[len - 1]) {
		case 'b': case 'B': len--; break;
		case 'k': case 'K': mult = 1ULL << 10; len--; break;
		case 'm': case 'M': mult = 1ULL << 20; len--; break;
		case 'g': case 'G': mult = 1ULL << 30; len--; break;
		case 't': case 'T': mult = 1ULL << 40; len--; break;
		}
	}
	if (passwd_parse_decimal(p, len, ULLONG_MAX / mult, &v) < 0)
		return -1;
	*out = v * mult;
	return 0;
}

static int
word_is(const char *w, size_t wlen, const char *s)
{
	size_t n = strlen(s);
	return wlen == n && memcmp(w, s, n) == 0;
}

/* Is this extra-field key a quota rule ("quota_rule", "quota_rule2", with
 * or without "userdb_")? */
static int
is_rule_key(const char *k, size_t klen)
{
	if (klen >= 7 && memcmp(k, "userdb_", 7) == 0) {
		k += 7;
		klen -= 7;
	}
	if (klen < 10 || memcmp(k, "quota_rule", 10) != 0)
		return 0;
	for (size_t i = 10; i < klen; i++)
		if (k[i] < '0' || k[i] > '9')
			return 0;
	return 1;
}

/* Is this word one that sets our quota (and that passwd_set rewrites)? */
static int
is_quota_word(const char *w, size_t wlen)
{
	const char *eq = memchr(w, '=', wlen);
	if (eq == NULL)
		return 0;
	size_t klen = (size_t)(eq - w);
	if (word_is(w, klen, "quota_bytes") || word_is(w, klen, "quota_messages"))
		return 1;
	if (!is_rule_key(w, klen))
		return 0;
	/* only rules for the default mailbox are ours */
	const char *v = eq + 1;
	size_t vlen = wlen - klen - 1;
	return vlen >= 2 && (v[0] == '*' || v[0] == '?') && v[1] == ':';
}

/* The next word of the extra field (words are separated by spaces and
 * tabs) from *i on: 1 with [*w, *w + *wlen), or 0 at the end. */
static int
next_word(const char *p, size_t len, size_t *i, const char **w, size_t *wlen)
{
	size_t s;

	while (*i < len && (p[*i] == ' ' || p[*i] == '\t'))
		(*i)++;
	if (*i == len)
		return 0;
	s = *i;
	while (*i < len && p[*i] != ' ' && p[*i] != '\t')
		(*i)++;
	*w = p + s;
	*wlen = *i - s;
	return 1;
}

/* Parse the extra field into quota values.  0, or -1 with a reason. */
static int
parse_extra(const char *p, size_t len, unsigned long long *qbytes,
    unsigned long long *qmsgs, const char **why)
{
	const char *w;
	size_t i = 0, wlen;

	while (next_word(p, len, &i, &w, &wlen)) {
		if (!is_quota_word(w, wlen))
			continue;
		const char *eq = memchr(w, '=', wlen);
		size_t klen = (size_t)(eq - w);
		const char *v = eq + 1;
		size_t vlen = wlen - klen - 1;
		if (word_is(w, klen, "quota_bytes")) {
			if (parse_size(v, vlen, qbytes) < 0) {
				*why = "bad quota_bytes";
				return -1;
			}
			continue;
		}
		if (word_is(w, klen, "quota_messages")) {
			if (passwd_parse_decimal(v, vlen, ULLONG_MAX, qmsgs) < 0) {
				*why = "bad quota_messages";
				return -1;
			}
			continue;
		}
		/* "*:storage=100M:messages=1000": parts after the mailbox */
		size_t j = 2;
		while (j < vlen) {
			size_t ps = j;
			while (j < vlen && v[j] != ':')
				j++;
			const char *part = v + ps;
			size_t plen = j - ps;
			j++;
			const char *peq = memchr(part, '=', plen);
			if (peq == NULL)
				continue;   /* "ignore", "noenforcing": not ours */
			size_t pk = (size_t)(peq - part);
			const char *pv = peq + 1;
			size_t pvlen = plen - pk - 1;
			if (word_is(part, pk, "storage") || word_is(part, pk, "bytes")) {
				if (parse_size(pv, pvlen, qbytes) < 0) {
					*why = "bad quota rule storage value";
					return -1;
				}
			} else if (word_is(part, pk, "messages")) {
				if (passwd_parse_decimal(pv, pvlen, ULLONG_MAX, qmsgs) < 0) {
					*why = "bad quota rule messages value";
					return -1;
				}
			}
		}
	}
	return 0;
}

/* ---- entries ---- */

static void
entry_free(struct passwd_entry *e)
{
	if (e == NULL)
		return;
	free(e->name);
	if (e->password) {
		explicit_bzero(e->password, strlen(e->password));
		free(e->password);
	}
	free(e->gecos);
	free(e->home);
	free(e->shell);
	free(e->extra);
	free(e);
}

/* Parse one user line (no LF, no control bytes but tab).  NULL with why. */
static struct passwd_entry *
entry_parse(const char *p, size_t len, const char **why)
{
	const char *f[7];
	size_t fl[7];
	size_t nf = 0, s = 0, i;
	const char *extra = "";
	size_t extralen = 0;
	unsigned long long v;

	for (i = 0; i <= len && nf < 7; i++) {
		if (i == len || p[i] == ':') {
			f[nf] = p + s;
			fl[nf] = i - s;
			nf++;
			s = i + 1;
			if (nf == 7 && i < len) {
				extra = p + s;
				extralen = len - s;
			}
		}
	}
	if (nf < 2) {
		*why = "no password field";
		return NULL;
	}
	if (!passwd_name_valid(f[0], fl[0])) {
		*why = "bad user name";
		return NULL;
	}
	if (nf < 6) {
		*why = "missing uid, gid or home field";
		return NULL;
	}
	struct passwd_entry *e = xcalloc(1, sizeof(*e));
	if (passwd_parse_decimal(f[2], fl[2], (uid_t)-2, &v) < 0) {
		*why = "bad uid";
		goto bad;
	}
	e->uid = (uid_t)v;
	if (passwd_parse_decimal(f[3], fl[3], (gid_t)-2, &v) < 0) {
		*why = "bad gid";
		goto bad;
	}
	e->gid = (gid_t)v;
	if (fl[5] == 0 || f[5][0] != '/') {
		*why = "home is not an absolute path";
		goto bad;
	}
	if (parse_extra(extra, extralen, &e->quota_bytes, &e->quota_messages,
	    why) < 0)
		goto bad;
	e->name = xstrndup(f[0], fl[0]);
	e->password = xstrndup(f[1], fl[1]);
	e->gecos = xstrndup(f[4], fl[4]);
	e->home = xstrndup(f[5], fl[5]);
	e->shell = nf > 6 ? xstrndup(f[6], fl[6]) : xstrdup("");
	e->extra = xstrndup(extra, extralen);
	return e;
bad:
	free(e);
	return NULL;
}

static void
entry_format(const struct passwd_entry *e, struct buf *out)
{
	buf_printf(out, "%s:%s:%lu:%lu:%s:%s:%s:%s", e->name, e->password,
	    (unsigned long)e->uid, (unsigned long)e->gid, e->gecos, e->home,
	    e->shell, e->extra);
}

/* ---- the file ---- */

struct passwd_file *
passwd_new(void)
{
	return xcalloc(1, sizeof(struct passwd_file));
}

void
passwd_free(struct passwd_file *pf)
{
	if (pf == NULL)
		return;
	for (size_t i = 0; i < pf->nlines; i++) {
		if (pf->lines[i].e) {
			explicit_bzero(pf->lines[i].text, strlen(pf->lines[i].text));
			entry_free(pf->lines[i].e);
		}
		free(pf->lines[i].text);
	}
	free(pf->lines);
	free(pf->users);
	passwd_index_free(&pf->ix);
	free(pf);
}

static void
add_line(struct passwd_file *pf, char *text, struct passwd_entry *e)
{
	if (pf->nlines == pf->cap) {
		pf->cap = pf->cap ? size_mul(pf->cap, 2) : 16;
		pf->lines = xreallocarray(pf->lines, pf->cap, sizeof(*pf->lines));
	}
	pf->lines[pf->nlines].text = text;
	pf->lines[pf->nlines].e = e;
	pf->nlines++;
}

/* Rebuild the user array and the index from the lines.  0, or -1 with the
 * line index of a duplicate in *dupline. */
static int
reindex(struct passwd_file *pf, size_t *dupline)
{
	size_t n = 0, dup = 0;
	char **names;
	int rc;

	free(pf->users);
	passwd_index_free(&pf->ix);
	pf->users = xreallocarray(NULL, pf->nlines ? pf->nlines : 1,
	    sizeof(*pf->users));
	for (size_t i = 0; i < pf->nlines; i++)
		if (pf->lines[i].e)
			pf->users[n++] = pf->lines[i].e;
	pf->nusers = n;
	names = xreallocarray(NULL, n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		names[i] = pf->users[i]->name;
	rc = passwd_index_build(&pf->ix, names, n, &dup);
	free(names);
	if (rc < 0 && dupline)
		*dupline = pf->users[dup]->line;
	return rc;
}

struct passwd_file *
passwd_parse(const char *name, const char *p, size_t len, char *err,
    size_t errlen)
{
	struct passwd_file *pf = passwd_new();
	struct lines it;
	enum lines_status st;
	const char *s, *why = NULL;
	size_t l;

	if (len > PASSWD_MAX_FILE) {
		lines_format_error(err, errlen, "%s: file too large", name);
		goto fail;
	}
	lines_init(&it, p, len, PASSWD_MAX_LINE);
	while ((st = lines_next(&it, &s, &l)) != LINES_END) {
		if (st != LINES_OK) {
			lines_format_error(err, errlen, "%s:%u: %s", name, it.lineno,
			    lines_why(st));
			goto fail;
		}
		if (lines_is_blank_or_comment(s, l)) {
			add_line(pf, xstrndup(s, l), NULL);
			continue;
		}
		struct passwd_entry *e = entry_parse(s, l, &why);
		if (e == NULL) {
			lines_format_error(err, errlen, "%s:%u: %s", name, it.lineno, why);
			goto fail;
		}
		e->line = it.lineno;
		add_line(pf, xstrndup(s, l), e);
	}
	size_t dupline = 0;
	if (reindex(pf, &dupline) < 0) {
		lines_format_error(err, errlen, "%s:%zu: duplicate user", name, dupline);
		goto fail;
	}
	return pf;
fail:
	passwd_free(pf);
	return NULL;
}

struct passwd_file *
passwd_load(const char *path, int missing_ok, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	struct passwd_file *pf = NULL;
	int r = lines_read_file(path, PASSWD_MAX_FILE, LINES_SECRET, &b, err,
	    errlen);
	if (r == 1) {
		if (missing_ok)
			pf = passwd_new();
		else
			lines_format_error(err, errlen, "%s: %s", path, strerror(ENOENT));
	} else if (r == 0) {
		pf = passwd_parse(path, b.p ? b.p : "", b.len, err, errlen);
	}
	if (b.p)
		explicit_bzero(b.p, b.cap);
	buf_free(&b);
	return pf;
}

size_t
passwd_count(const struct passwd_file *pf)
{
	return pf->nusers;
}

const struct passwd_entry *
passwd_at(const struct passwd_file *pf, size_t i)
{
	return i < pf->nusers ? pf->users[i] : NULL;
}

const struct passwd_entry *
passwd_lookup(const struct passwd_file *pf, const char *name, size_t len)
{
	size_t i = passwd_index_find(&pf->ix, name, len);
	return i == (size_t)-1 ? NULL : pf->users[i];
}

/* ---- editing ---- */

/* The extra field of e with our quota words replaced by its quota. */
static char *
extra_with_quota(const struct passwd_entry *e)
{
	struct buf b = BUF_INIT;
	const char *p = e->extra ? e->extra : "";
	const char *w;
	size_t len = strlen(p), i = 0, wlen;

	while (next_word(p, len, &i, &w, &wlen)) {
		if (!is_quota_word(w, wlen)) {
			if (b.len)
				buf_putc(&b, ' ');
			buf_append(&b, w, wlen);
		}
	}
	if (e->quota_bytes) {
		unsigned long long q = e->quota_bytes;
		const char *unit = "";
		if (q % (1ULL << 30) == 0) {
			q >>= 30;
			unit = "G";
		} else if (q % (1ULL << 20) == 0) {
			q >>= 20;
			unit = "M";
		} else if (q % (1ULL << 10) == 0) {
			q >>= 10;
			unit = "K";
		}
		buf_printf(&b, "%suserdb_quota_rule=*:storage=%llu%s",
		    b.len ? " " : "", q, unit);
	}
	if (e->quota_messages)
		buf_printf(&b, "%suserdb_quota_rule2=*:messages=%llu",
		    b.len ? " " : "", e->quota_messages);
	buf_putc(&b, '\0');
	return buf_steal(&b, NULL);
}

int
passwd_set(struct passwd_file *pf, const struct passwd_entry *src, char *err,
    size_t errlen)
{
	const char *fields[] = { src->password, src->gecos, src->home,
	    src->shell, src->extra };
	struct buf line = BUF_INIT;

	if (src->name == NULL || !passwd_name_valid(src->name, strlen(src->name))) {
		lines_format_error(err, errlen, "invalid user name");
		return -1;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		/* the extra field may hold colons, not newlines */
		if (fields[i] == NULL)
			continue;
		for (const unsigned char *s = (const unsigned char *)fields[i];
		    *s; s++)
			if ((*s < 0x20 && *s != '\t') || *s == 0x7f ||
			    (*s == ':' && i < 4)) {
				lines_format_error(err, errlen,
				    "field holds ':' or a control character");
				return -1;
			}
	}
	if (src->home == NULL || src->home[0] != '/') {
		lines_format_error(err, errlen, "home is not an absolute path");
		return -1;
	}
	if (src->uid == (uid_t)-1 || src->gid == (gid_t)-1) {
		lines_format_error(err, errlen, "bad uid or gid");
		return -1;
	}
	struct passwd_entry *e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(src->name);
	e->password = xstrdup(src->password ? src->password : "");
	e->uid = src->uid;
	e->gid = src->gid;
	e->gecos = xstrdup(src->gecos ? src->gecos : "");
	e->home = xstrdup(src->home);
	e->shell = xstrdup(src->shell ? src->shell : "");
	e->extra = xstrdup(src->extra ? src->extra : "");
	e->quota_bytes = src->quota_bytes;
	e->quota_messages = src->quota_messages;
	char *extra = extra_with_quota(e);
	free(e->extra);
	e->extra = extra;
	entry_format(e, &line);
	if (line.len > PASSWD_MAX_LINE) {
		lines_format_error(err, errlen, "line too long");
		entry_free(e);
		buf_free(&line);
		return -1;
	}
	char *text = buf_steal(&line, NULL);

	size_t at = passwd_index_find(&pf->ix, e->name, strlen(e->name));
	if (at != (size_t)-1) {
		for (size_t i = 0; i < pf->nlines; i++) {
			if (pf->lines[i].e != pf->users[at])
				continue;
			e->line = pf->lines[i].e->line;
			explicit_bzero(pf->lines[i].text, strlen(pf->lines[i].text));
			free(pf->lines[i].text);
			entry_free(pf->lines[i].e);
			pf->lines[i].text = text;
			pf->lines[i].e = e;
			break;
		}
	} else {
		add_line(pf, text, e);
	}
	reindex(pf, NULL);
	return 0;
}

int
passwd_delete(struct passwd_file *pf, const char *name, size_t len)
{
	size_t at = passwd_index_find(&pf->ix, name, len);
	if (at == (size_t)-1)
		return -1;
	for (size_t i = 0; i < pf->nlines; i++) {
		if (pf->lines[i].e != pf->users[at])
			continue;
		explicit_bzero(pf->lines[i].text, strlen(pf->lines[i].text));
		free(pf->lines[i].text);
		entry_free(pf->lines[i].e);
		memmove(&pf->lines[i], &pf->lines[i + 1],
		    (pf->nlines - i - 1) * sizeof(*pf->lines));
		pf->nlines--;
		break;
	}
	reindex(pf, NULL);
	return 0;
}

static int
cmp_uid(const void *a, const void *b)
{
	uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;
	return x < y ? -1 : x > y;
}

int
passwd_free_uid(const struct passwd_file *pf, uid_t min, uid_t max,
    uid_t *uid)
{
	return passwd_free_uid_unless(pf, min, max, NULL, uid);
}

int
passwd_free_uid_unless(const struct passwd_file *pf, uid_t min, uid_t max,
    int (*taken)(uid_t), uid_t *uid)
{
	uid_t *u = xreallocarray(NULL, pf->nusers ? pf->nusers : 1, sizeof(uid_t));
	size_t n = 0, j = 0;
	int rc = -1;

	if (min > max)
		goto out;
	for (size_t i = 0; i < pf->nusers; i++)
		if (pf->users[i]->uid >= min && pf->users[i]->uid <= max)
			u[n++] = pf->users[i]->uid;
	qsort(u, n, sizeof(uid_t), cmp_uid);
	for (uid_t cand = min;; cand++) {
		while (j < n && u[j] < cand)
			j++;
		if (!(j < n && u[j] == cand) && (taken == NULL || !taken(cand))) {
			*uid = cand;
			rc = 0;
			break;
		}
		if (cand == max)
			break;
	}
out:
	free(u);
	return rc;
}

void
passwd_format(const struct passwd_file *pf, struct buf *out)
{
	for (size_t i = 0; i < pf->nlines; i++) {
		buf_puts(out, pf->lines[i].text);
		buf_putc(out, '\n');
	}
}

int
passwd_write_atomic(const char *path, const void *p, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	struct buf tmp = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, rc = -1;

	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	const char *tpath = buf_cstr(&tmp);
	(void)unlink(tpath);   /* a stale one from a crashed run of this pid */
	fd = open(tpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		lines_format_error(err, errlen, "%s: %s", tpath, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		lines_format_error(err, errlen, "%s: fchmod: %s", tpath, strerror(errno));
		goto bad;
	}
	const char *q = p;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, q, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			lines_format_error(err, errlen, "%s: write: %s", tpath, strerror(errno));
			goto bad;
		}
		q += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		lines_format_error(err, errlen, "%s: fsync: %s", tpath, strerror(errno));
		goto bad;
	}
	if (close(fd) < 0) {
		fd = -1;
		lines_format_error(err, errlen, "%s: close: %s", tpath, strerror(errno));
		goto bad;
	}
	fd = -1;
	if (rename(tpath, path) < 0) {
		lines_format_error(err, errlen, "%s: rename: %s", path, strerror(errno));
		goto bad;
	}
	/* make the rename durable */
	char *dir = slash ? (slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path))) : xstrdup(".");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd < 0 || fsync(dfd) < 0) {
		lines_format_error(err, errlen, "%s: fsync of directory: %s", path,
		    strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	rc = 0;
	goto out;
bad:
	if (fd >= 0)
		close(fd);
	(void)unlink(tpath);
out:
	buf_free(&tmp);
	return rc;
}

int
passwd_save(const struct passwd_file *pf, const char *path, char *err,
    size_t errlen)
{
	struct buf b = BUF_INIT;
	passwd_format(pf, &b);
	int rc = passwd_write_atomic(path, b.p ? b.p : "", b.len, 0600, err,
	    errlen);
	if (b.p)
		explicit_bzero(b.p, b.cap);
	buf_free(&b);
	return rc;
}
