/* userlist.c: the hash-free user list (name:uid:gid:home:quota_bytes:
 * quota_messages), generated from the passwd-file and read by recipient
 * resolution (see userlist.h). */
#include "userlist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "lines.h"
#include "passwd.h"

struct userlist {
	struct userlist_entry *e;
	size_t n, cap;
	struct passwd_index ix;
};

void
userlist_free(struct userlist *ul)
{
	if (ul == NULL)
		return;
	for (size_t i = 0; i < ul->n; i++) {
		free(ul->e[i].name);
		free(ul->e[i].home);
	}
	free(ul->e);
	passwd_index_free(&ul->ix);
	free(ul);
}

/* One line: exactly six fields.  0, or -1 with why. */
static int
parse_line(const char *s, size_t l, struct userlist_entry *e, const char **why)
{
	const char *f[6];
	size_t fl[6], nf = 0, st = 0;
	unsigned long long v;

	for (size_t i = 0; i <= l; i++) {
		if (i == l || s[i] == ':') {
			if (nf == 6) {
				*why = "too many fields";
				return -1;
			}
			f[nf] = s + st;
			fl[nf] = i - st;
			nf++;
			st = i + 1;
		}
	}
	if (nf != 6) {
		*why = "expected name:uid:gid:home:quota_bytes:quota_messages";
		return -1;
	}
	if (!passwd_name_valid(f[0], fl[0])) {
		*why = "bad user name";
		return -1;
	}
	if (passwd_parse_decimal(f[1], fl[1], (uid_t)-2, &v) < 0) {
		*why = "bad uid";
		return -1;
	}
	e->uid = (uid_t)v;
	if (passwd_parse_decimal(f[2], fl[2], (gid_t)-2, &v) < 0) {
		*why = "bad gid";
		return -1;
	}
	e->gid = (gid_t)v;
	if (fl[3] == 0 || f[3][0] != '/') {
		*why = "home is not an absolute path";
		return -1;
	}
	if (passwd_parse_decimal(f[4], fl[4], ~0ULL, &e->quota_bytes) < 0) {
		*why = "bad quota_bytes";
		return -1;
	}
	if (passwd_parse_decimal(f[5], fl[5], ~0ULL, &e->quota_messages) < 0) {
		*why = "bad quota_messages";
		return -1;
	}
	e->name = xstrndup(f[0], fl[0]);
	e->home = xstrndup(f[3], fl[3]);
	return 0;
}

struct userlist *
userlist_parse(const char *name, const char *p, size_t len, char *err,
    size_t errlen)
{
	struct userlist *ul = xcalloc(1, sizeof(*ul));
	struct lines it;
	enum lines_status st;
	const char *s, *why = NULL;
	size_t l;

	if (len > USERLIST_MAX_FILE) {
		lines_format_error(err, errlen, "%s: file too large", name);
		goto fail;
	}
	lines_init(&it, p, len, USERLIST_MAX_LINE);
	while ((st = lines_next(&it, &s, &l)) != LINES_END) {
		if (st != LINES_OK) {
			lines_format_error(err, errlen, "%s:%u: %s", name, it.lineno,
			    lines_why(st));
			goto fail;
		}
		if (lines_is_blank_or_comment(s, l))
			continue;
		if (ul->n == ul->cap) {
			ul->cap = ul->cap ? size_mul(ul->cap, 2) : 16;
			ul->e = xreallocarray(ul->e, ul->cap, sizeof(*ul->e));
		}
		struct userlist_entry *e = &ul->e[ul->n];
		memset(e, 0, sizeof(*e));
		if (parse_line(s, l, e, &why) < 0) {
			lines_format_error(err, errlen, "%s:%u: %s", name, it.lineno, why);
			goto fail;
		}
		e->line = it.lineno;
		ul->n++;
	}
	char **names = xreallocarray(NULL, ul->n ? ul->n : 1, sizeof(char *));
	for (size_t i = 0; i < ul->n; i++)
		names[i] = ul->e[i].name;
	size_t dup = 0;
	int rc = passwd_index_build(&ul->ix, names, ul->n, &dup);
	free(names);
	if (rc < 0) {
		lines_format_error(err, errlen, "%s:%u: duplicate user", name, ul->e[dup].line);
		goto fail;
	}
	return ul;
fail:
	userlist_free(ul);
	return NULL;
}

struct userlist *
userlist_load(const char *path, int missing_ok, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	struct userlist *ul = NULL;
	int r = lines_read_file(path, USERLIST_MAX_FILE, 0, &b, err, errlen);

	if (r == 1 && !missing_ok)
		lines_format_error(err, errlen, "%s: %s", path, strerror(ENOENT));
	else if (r >= 0)
		ul = userlist_parse(path, b.p ? b.p : "", b.len, err, errlen);
	buf_free(&b);
	return ul;
}

size_t
userlist_count(const struct userlist *ul)
{
	return ul->n;
}

const struct userlist_entry *
userlist_at(const struct userlist *ul, size_t i)
{
	return i < ul->n ? &ul->e[i] : NULL;
}

const struct userlist_entry *
userlist_lookup(const struct userlist *ul, const char *name, size_t len)
{
	size_t i = passwd_index_find(&ul->ix, name, len);
	return i == (size_t)-1 ? NULL : &ul->e[i];
}

void
userlist_format(const struct passwd_file *pf, struct buf *out)
{
	buf_puts(out, "# generated from the passwd-file by postern; do not edit\n"
	    "# name:uid:gid:home:quota_bytes:quota_messages\n");
	for (size_t i = 0; i < passwd_count(pf); i++) {
		const struct passwd_entry *e = passwd_at(pf, i);
		buf_printf(out, "%s:%lu:%lu:%s:%llu:%llu\n", e->name,
		    (unsigned long)e->uid, (unsigned long)e->gid, e->home,
		    e->quota_bytes, e->quota_messages);
	}
}

int
userlist_write(const struct passwd_file *pf, const char *path, char *err,
    size_t errlen)
{
	struct buf b = BUF_INIT;
	userlist_format(pf, &b);
	int rc = passwd_write_atomic(path, b.p ? b.p : "", b.len, 0644, err,
	    errlen);
	buf_free(&b);
	return rc;
}
