/* lines.h: walking the lines of a small text file held in memory (config,
 * table files, passwd-file, user list), so that every reader splits,
 * counts and checks lines the same way: a line ends at LF (the last one
 * may lack it), one CR before the LF is dropped, and a line holding NUL or
 * another control character except tab is an error that the reader
 * reports with the line number. */
#ifndef POSTERN_LINES_H
#define POSTERN_LINES_H

#include <stddef.h>
#include "buf.h"

/* lines_read_file flags */
#define LINES_NOFOLLOW 0x1   /* refuse a symbolic link (O_NOFOLLOW) */
#define LINES_ANY_TYPE 0x2   /* accept what is not a regular file */
#define LINES_SECRET   0x4   /* wipe the read buffers (passwd-file) */

/* Format an error message into err (errlen bytes) as snprintf does;
 * nothing when err is NULL or errlen 0 (callers that do not want it). */
void lines_format_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read the whole file path into b (appended), at most max bytes.
 * Returns 0; 1 when it does not exist (err untouched); -1 with
 * "path: reason" in err (also "path: file larger than N bytes"). */
int lines_read_file(const char *path, size_t max, unsigned flags,
    struct buf *b, char *err, size_t errlen);

enum lines_status {
	LINES_END = 0,       /* no more lines */
	LINES_OK = 1,        /* *line / *len hold the next line */
	LINES_TOOLONG = -1,  /* the line is longer than max_line */
	LINES_CONTROL = -2   /* the line holds a control character */
};

struct lines {
	const char *p;
	size_t len, pos;
	size_t max_line;     /* longest line (CR included, LF not); 0 = any */
	unsigned lineno;     /* 1-based number of the line last returned */
};

void lines_init(struct lines *it, const char *p, size_t len, size_t max_line);
/* The next line without its line end: LINES_OK, LINES_END, or an error
 * about line it->lineno (the walk can go on past it). */
enum lines_status lines_next(struct lines *it, const char **line,
    size_t *len);

/* The reason for an error status: "line too long", "control character
 * in line". */
const char *lines_why(enum lines_status st);

/* Blank, or a comment: the first character that is not a space or tab is
 * '#' (passwd-file, user list). */
int lines_is_blank_or_comment(const char *s, size_t len);
/* The entry on a line of a table or postern.conf: a '#' at the start or
 * after a space or tab starts a comment that runs to the end, then spaces
 * and tabs around what is left are dropped.  Sets [*start, *end) within
 * [0, len); empty when the line holds no entry. */
void lines_entry(const char *s, size_t len, size_t *start, size_t *end);

#endif
