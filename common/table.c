/* table.c: reading one-entry-per-line table files (see table.h). */
#include "table.h"
#include "buf.h"
#include "lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct table *
table_parse(const char *name, const char *p, size_t len, char *err, size_t errlen)
{
	struct table *t = xcalloc(1, sizeof(*t));
	struct lines it;
	enum lines_status st;
	const char *lp;
	size_t cap = 0, ln, s, e;

	t->path = xstrdup(name);
	lines_init(&it, p, len, 0);
	while ((st = lines_next(&it, &lp, &ln)) != LINES_END) {
		if (st != LINES_OK) {
			snprintf(err, errlen, "%s:%u: %s", name, it.lineno,
			    lines_why(st));
			table_free(t);
			return NULL;
		}
		lines_entry(lp, ln, &s, &e);
		if (s == e)
			continue;
		if (t->count == cap) {
			cap = cap ? size_mul(cap, 2) : 16;
			t->entries = xreallocarray(t->entries, cap, sizeof(*t->entries));
		}
		t->entries[t->count].text = xstrndup(lp + s, e - s);
		t->entries[t->count].len = e - s;
		t->entries[t->count].line = it.lineno;
		t->count++;
	}
	return t;
}

struct table *
table_load(const char *path, size_t max_bytes, int missing_ok, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	struct table *t = NULL;
	int r = lines_read_file(path, max_bytes, LINES_NOFOLLOW | LINES_ANY_TYPE,
	    &b, err, errlen);

	if (r == 1 && missing_ok)
		t = table_parse(path, "", 0, err, errlen);
	else if (r == 1)
		snprintf(err, errlen, "%s: %s", path, strerror(ENOENT));
	else if (r == 0)
		t = table_parse(path, b.p ? b.p : "", b.len, err, errlen);
	buf_free(&b);
	return t;
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->count; i++)
		free(t->entries[i].text);
	free(t->entries);
	free(t->path);
	free(t);
}
