/* smtpreply.h: the SMTP client's reply parser (postern-remote).
 *
 * A reply is one or more lines "CCC-text" ending with "CCC text" (or a bare
 * "CCC"), RFC 5321 4.2.  Whatever a server sends is untrusted (the
 * CVE-2020-8794 class: a reply that is not what the parser assumed):
 * - every line starts with three digits, the first 2-5, and the same code
 *   on every line of the reply; the fourth byte is '-', ' ' or the end;
 * - at most SMTP_REPLY_MAX_LINES lines, each at most SMTP_REPLY_MAX_LINE
 *   octets (the caller reads lines with that bound);
 * - the text kept is capped at SMTP_REPLY_MAX_TEXT octets, control bytes
 *   replaced by '?', so nothing from the server can change framing of what
 *   postern writes from it (logs, spawnproto diagnostics, DSNs).
 * Anything else is a malformed reply: the client treats the session as
 * failed (temporarily), never as a success. */
#ifndef POSTERN_SMTPREPLY_H
#define POSTERN_SMTPREPLY_H

#include <stddef.h>

#define SMTP_REPLY_MAX_LINES 100
#define SMTP_REPLY_MAX_LINE  2048   /* octets of one line with its CRLF */
#define SMTP_REPLY_MAX_TEXT  8192   /* text kept over all lines */

struct smtp_reply {
	unsigned code;           /* e.g. 250; 0 before the first line */
	char status[16];         /* enhanced status code (RFC 3463) of the
	                          * first line, e.g. "5.1.1"; "" when none */
	char text[SMTP_REPLY_MAX_TEXT + 1]; /* the lines' texts joined by '\n' */
	size_t text_len;
	size_t nlines;
	int done;                /* the last line has been fed */
};

void smtp_reply_init(struct smtp_reply *r);
/* smtp_reply_feed: one line (with or without its CRLF/LF).
 * 1 the reply is complete, 0 more lines follow, -1 malformed (bad code,
 * code change between lines, too many lines, line too long, fed after
 * completion). */
int smtp_reply_feed(struct smtp_reply *r, const char *p, size_t len);

/* Parse a complete reply held in memory (lines separated by LF or CRLF);
 * bytes after the last line are an error.  1 complete, 0 incomplete,
 * -1 malformed. */
int smtp_reply_parse(struct smtp_reply *r, const char *p, size_t len);

/* Class of the reply: 2, 3, 4 or 5 (0 when not complete). */
unsigned smtp_reply_class(const struct smtp_reply *r);

/* EHLO keyword lookup (RFC 5321 4.1.1.1): lines after the first, keyword
 * compared case-insensitively.  1 found, with *param and *plen set to the
 * parameters after the keyword (may be empty); 0 not there. */
int smtp_reply_ehlo_has(const struct smtp_reply *r, const char *keyword,
    const char **param, size_t *plen);

/* One-line diagnostic "CCC text text ..." (lines joined by spaces) into
 * out (NUL-terminated, truncated to outlen). */
void smtp_reply_diag(const struct smtp_reply *r, char *out, size_t outlen);

#endif
