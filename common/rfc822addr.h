/* rfc822addr.h: RFC 5322 lexical primitives (CFWS, atoms, quoted strings,
 * domains, MIME tokens) and the address-list parser that ENVELOPE and
 * other code use.  Everything works on (p, len) and never reads past it.
 *
 * The address parser follows the reference IMAP server's (Dovecot 2.3)
 * choices for broken input, so that ENVELOPE answers match: groups give a
 * start entry (mailbox = group name, domain NULL) and an end entry (all
 * NULL); a missing local part or domain becomes "MISSING_MAILBOX" /
 * "MISSING_DOMAIN" when fill_missing is set; parsing stops at the first
 * error and keeps what was parsed before it. */
#ifndef POSTERN_RFC822ADDR_H
#define POSTERN_RFC822ADDR_H

#include <stddef.h>
#include "buf.h"

/* Lexer state over (p, end).  When last_comment is non-NULL, the text of
 * the most recent comment skipped is stored there. */
struct rfc822_lexer {
	const unsigned char *p, *end;
	struct buf *last_comment;
};

void rfc822_lexer_init(struct rfc822_lexer *lx, const char *p, size_t len,
		       struct buf *last_comment);
/* The primitives return 1 when input remains, 0 at the end of the input,
 * -1 on a syntax error.  They append what they parsed to str. */
int rfc822_skip_lwsp(struct rfc822_lexer *lx);      /* white space, comments */
int rfc822_parse_quoted_string(struct rfc822_lexer *lx, struct buf *str);
int rfc822_parse_atom(struct rfc822_lexer *lx, struct buf *str);
int rfc822_parse_dot_atom(struct rfc822_lexer *lx, struct buf *str);
int rfc822_parse_phrase(struct rfc822_lexer *lx, struct buf *str);
int rfc822_parse_domain(struct rfc822_lexer *lx, struct buf *str); /* at '@' */
int rfc822_parse_mime_token(struct rfc822_lexer *lx, struct buf *str);
/* "type/subtype" into str; -1 when broken (str holds what was read). */
int rfc822_parse_content_type(struct rfc822_lexer *lx, struct buf *str);
/* One "; attribute=value" parameter: 1 parsed, 0 end, -1 broken. */
int rfc822_parse_content_param(struct rfc822_lexer *lx, struct buf *key,
			       struct buf *value);

/* One entry of an address list; see the top comment for groups.  Strings
 * are NUL-terminated copies, NULL when absent. */
struct rfc822_address {
	struct rfc822_address *next;
	char *name, *route, *mailbox, *domain;
	int invalid_syntax;
};

/* Parse an address list (a header field value).  At most max_addresses
 * addresses (caps the work on hostile input).  Returns a list the caller
 * frees with rfc822addr_free, or NULL when there is no address. */
struct rfc822_address *rfc822addr_parse(const char *p, size_t len,
					unsigned int max_addresses,
					int fill_missing);
void rfc822addr_free(struct rfc822_address *list);

#endif
