/* table.h: table files (local domains, relay networks, routes, aliases,
 * user lists): one entry per line, '#' starts a comment, blank lines are
 * ignored, leading and trailing white space is dropped.  Each entry keeps
 * its line number so that errors can name file and line. */
#ifndef POSTERN_TABLE_H
#define POSTERN_TABLE_H

#include <stddef.h>

struct table_entry {
	char *text;     /* NUL-terminated, trimmed, never empty */
	size_t len;
	unsigned line;  /* 1-based line number in the file */
};

struct table {
	char *path;
	struct table_entry *entries;
	size_t count;
};

/* table_load: reads path (at most max_bytes; larger is an error).  On error
 * returns NULL with a message "path:line: reason" in err.  A missing file is
 * an error unless missing_ok, in which case an empty table is returned.
 * Lines holding NUL or other control characters (except tab) are errors.
 * Caller frees with table_free. */
struct table *table_load(const char *path, size_t max_bytes, int missing_ok,
    char *err, size_t errlen);
/* Same from memory (for tests and fuzzing); name is used in messages. */
struct table *table_parse(const char *name, const char *p, size_t len,
    char *err, size_t errlen);
void table_free(struct table *t);

#endif
