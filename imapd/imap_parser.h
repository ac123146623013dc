/* imap_parser.h: reading one IMAP command from the client, literals
 * included, into a tree of arguments.
 *
 * The reader is bounded everywhere: line length, literal size, total
 * command size, list depth and argument count come from struct
 * imap_limits.  An announced literal is always consumed or refused before
 * anything else is read (RFC 3501 7.5, RFC 7888 4): a synchronising literal
 * that is too large gets no "+" continuation (the client will not send it);
 * a non-synchronising one that is too large is read and thrown away (or,
 * beyond the hard cap, the session is closed), so its bytes never run as
 * commands.  NUL is refused everywhere except in literal8 (~{n}, RFC 3516).
 */
#ifndef POSTERN_IMAP_PARSER_H
#define POSTERN_IMAP_PARSER_H

#include <stddef.h>
#include "io.h"

enum imap_arg_type {
	IMAP_ARG_ATOM,      /* includes NIL, numbers, sequence sets, flags,
	                     * and section atoms such as BODY[1.MIME]<0.10> */
	IMAP_ARG_QUOTED,    /* "..." with escapes removed */
	IMAP_ARG_LITERAL,   /* {n} or ~{n} (literal8 set) */
	IMAP_ARG_LIST       /* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	int literal8;
	char *p;             /* ATOM/QUOTED/LITERAL bytes, NUL-terminated copy */
	size_t len;
	struct imap_arg *list;   /* LIST children */
	size_t count;
};

struct imap_cmd {
	char *tag;
	char *name;          /* upper-cased command name */
	struct imap_arg *args;   /* after tag and name */
	size_t nargs;
	size_t bytes;        /* octets the command took on the wire */
};

struct imap_limits {
	size_t max_line;         /* one line of a command, CRLF included */
	size_t max_literal;      /* one literal */
	size_t max_command;      /* all lines and literals of one command */
	size_t max_depth;        /* list nesting */
	size_t max_args;         /* total arguments of one command */
	size_t literal_hard_cap; /* non-sync literal above this: close */
};

void imap_limits_default(struct imap_limits *lim);

enum imap_read_status {
	IMAP_READ_OK = 0,
	IMAP_READ_EOF,        /* client closed */
	IMAP_READ_TIMEOUT,    /* deadline passed: BYE autologout */
	IMAP_READ_IOERR,
	IMAP_READ_BAD,        /* syntax error: reply "tag BAD reason" */
	IMAP_READ_TOOBIG,     /* literal/command too large: "tag NO [TOOBIG]" */
	IMAP_READ_FATAL       /* cannot stay in sync: BYE and close */
};

/* Read one command.  On IMAP_READ_OK *out holds it (free with
 * imap_cmd_free).  On BAD/TOOBIG, tag (at most tagsize-1 bytes, "*" if
 * the line had no valid tag) and a reason are filled in for the reply.
 * literal_plus: whether non-synchronising literals are allowed (LITERAL+
 * after it is advertised; "LITERAL-" limits them to 4096 octets).
 * The "+ " continuation request for a synchronising literal is written to
 * io and flushed by the reader itself. */
int imap_read_command(struct io *io, const struct imap_limits *lim,
    int literal_plus, struct imap_cmd **out, char *tag, size_t tagsize,
    char *reason, size_t reasonsize);

void imap_cmd_free(struct imap_cmd *cmd);

/* Helpers for command handlers. */
int imap_arg_is_atom(const struct imap_arg *a, const char *word);   /* case-insensitive */
int imap_arg_is_nil(const struct imap_arg *a);
int imap_arg_is_string(const struct imap_arg *a);  /* quoted or literal */
int imap_arg_is_astring(const struct imap_arg *a); /* atom, quoted or literal */
/* A number (RFC 3501 number / nz-number, at most 2^32-1 or 2^63-1). */
int imap_arg_number(const struct imap_arg *a, unsigned long long max,
    unsigned long long *out);
/* A tag is 1..64 of ASTRING-CHAR except '+'. */
int imap_tag_valid(const char *p, size_t len);

#endif
