/* pop3.h: what postern-pop3-login and postern-pop3d share: the command
 * table and parser (pop3_cmd.c), the reply and capability table
 * (pop3_reply.c), the LF -> CRLF dot-stuffing writer of RETR and TOP
 * (pop3_stuff.c) and the size cache file (pop3_sizes.c).  The maildrop
 * and session of postern-pop3d are in pop3d.h. */
#ifndef POSTERN_POP3_H
#define POSTERN_POP3_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "io.h"

/* RFC 2449 4: a command line is at most 255 octets with CRLF; we allow a
 * little more for clients that overstep, never more than this. */
#define POP3_LINE_MAX 512
#define POP3_ARG_MAX 255          /* one argument (RFC 2449: 40; lenient) */
#define POP3_NUMBER_MAX 999999999u /* message numbers and TOP line counts */

/* --- commands (pop3_cmd.c) -------------------------------------------- */

enum pop3_cmd_id {
	POP3_CMD_NONE = 0,
	POP3_CMD_CAPA, POP3_CMD_QUIT, POP3_CMD_NOOP,
	POP3_CMD_USER, POP3_CMD_PASS, POP3_CMD_AUTH, POP3_CMD_STLS,
	POP3_CMD_APOP,
	POP3_CMD_STAT, POP3_CMD_LIST, POP3_CMD_RETR, POP3_CMD_DELE,
	POP3_CMD_RSET, POP3_CMD_TOP, POP3_CMD_UIDL
};

/* States a command is valid in (bit mask). */
#define POP3_STATE_AUTH        0x1   /* AUTHORIZATION (postern-pop3-login) */
#define POP3_STATE_TRANSACTION 0x2   /* postern-pop3d */

/* How arguments are taken. */
enum pop3_arg_kind {
	POP3_ARGS_WORDS,    /* min..max words separated by single spaces */
	POP3_ARGS_REST      /* the rest of the line, spaces included (PASS) */
};

struct pop3_command {
	const char *name;
	enum pop3_cmd_id id;
	unsigned states;
	enum pop3_arg_kind kind;
	unsigned min_args, max_args;
	unsigned numeric;   /* bit i: argument i must be a message number */
};

struct pop3_arg {
	const char *p;      /* points into the parsed line */
	size_t len;
	uint32_t num;       /* value when the argument is numeric */
};

struct pop3_cmd {
	const struct pop3_command *def;   /* NULL: unknown command */
	char name[8];                     /* upper-cased keyword as sent */
	unsigned nargs;
	struct pop3_arg args[2];
};

enum pop3_parse_status {
	POP3_PARSE_OK = 0,
	POP3_PARSE_EMPTY,      /* empty line */
	POP3_PARSE_UNKNOWN,    /* no such command */
	POP3_PARSE_BADARGS,    /* wrong number or form of arguments */
	POP3_PARSE_BADNUMBER,  /* a number is not 1..POP3_NUMBER_MAX */
	POP3_PARSE_BADCHAR     /* NUL or another control character */
};

/* The table (for tests and CAPA): ends with a NULL name. */
extern const struct pop3_command pop3_commands[];

/* Parse one command line (p, len), CRLF or LF already removed or not (a
 * trailing CR LF is ignored).  out points into p.  Never reads past
 * p + len. */
enum pop3_parse_status pop3_parse(const char *p, size_t len,
    struct pop3_cmd *out);
/* Strict decimal number 1..max without sign or leading '+': 0 or -1. */
int pop3_parse_number(const char *p, size_t len, uint32_t max, uint32_t *out);
/* Strip a trailing LF and CR from a line read by io_getline. */
size_t pop3_chomp(const char *p, size_t len);

/* --- replies (pop3_reply.c) ------------------------------------------- */

enum pop3_reply_id {
	R_GREETING, R_LOGGED_IN, R_BYE, R_BYE_TIMEOUT, R_BYE_ERRORS,
	R_UNKNOWN, R_WRONG_STATE, R_BAD_ARGS, R_BAD_NUMBER, R_BAD_CHAR,
	R_LINE_TOO_LONG, R_NOOP, R_CAPA,
	R_USER_OK, R_PASS_NO_USER, R_AUTH_FAILED, R_AUTH_TEMPFAIL,
	R_AUTH_UNAVAILABLE, R_AUTH_TOO_MANY, R_PLAINTEXT_AUTH, R_PLAINTEXT_PERM,
	R_AUTH_MECHS, R_AUTH_BAD_MECH, R_AUTH_CANCELLED, R_AUTH_BAD,
	R_AUTH_TOO_LONG, R_PIPELINED_TOO_MUCH, R_APOP,
	R_STLS_READY, R_STLS_NOT_AVAILABLE, R_STLS_ACTIVE,
	R_IN_USE, R_NO_MAILBOX, R_MAILBOX_ERROR, R_CONFIG_ERROR,
	R_STAT, R_LIST_ALL, R_LIST_ONE, R_UIDL_ALL, R_UIDL_ONE,
	R_NO_MESSAGE, R_DELETED, R_RETR, R_TOP, R_MESSAGE_GONE,
	R_DELE, R_RSET, R_QUIT, R_QUIT_DELETED, R_QUIT_FAILED,
	R_COUNT
};

/* The reply as a printf format with its CRLF (one table: pop3_reply.c). */
const char *pop3_reply_format(enum pop3_reply_id id);
/* io_printf the reply with its arguments. */
void pop3_reply(struct io *io, enum pop3_reply_id id, ...);

/* CAPA list modes. */
#define POP3_CAPA_PREAUTH   0x1   /* AUTHORIZATION state */
#define POP3_CAPA_STLS      0x2   /* STLS can be started */
#define POP3_CAPA_PLAINTEXT 0x4   /* USER and SASL may be used now */
/* Append the capability lines (each with CRLF, without "+OK" and the
 * final dot) to out. */
void pop3_capa_write(struct buf *out, unsigned mode);

/* --- RETR/TOP output (pop3_stuff.c) ----------------------------------- */

/* Streaming conversion of a stored message into a POP3 multi-line body
 * (RFC 1939 3): each LF not preceded by CR becomes CR LF, a line that
 * starts with '.' gets another '.', and TOP stops after the header, the
 * blank line and body_lines lines of the body. */
struct pop3_stuff {
	int top;               /* TOP mode: stop after body_lines */
	uint32_t body_lines;   /* lines of the body left (TOP) */
	int in_header;
	int at_line_start;
	int prev_cr;           /* last byte seen was CR */
	size_t line_len;       /* bytes of the current line so far */
	int line_cr_only;      /* the current line so far is "\r" */
	int done;              /* TOP has everything it needs */
	uint64_t sent;         /* octets appended, stuffing dots excluded */
};

void pop3_stuff_init(struct pop3_stuff *st, int top, uint32_t body_lines);
/* Append the converted form of (p, len) to out.  Returns 1 when TOP is
 * complete (stop reading), else 0. */
int pop3_stuff_append(struct pop3_stuff *st, const char *p, size_t len,
    struct buf *out);
/* End of the message: CRLF if the last line had no LF, then ".\r\n". */
void pop3_stuff_finish(struct pop3_stuff *st, struct buf *out);

/* --- the size cache (pop3_sizes.c) ------------------------------------ */

/* CRLF sizes of messages whose names carry no ",W=" live in
 * "postern-pop3-sizes" beside the index: a first line "PSZ1 <uidvalidity>"
 * and then "<uid> <size>" lines in ascending UID order.  Only a cache:
 * a bad file is ignored and rewritten. */
#define POP3_SIZES_FILE "postern-pop3-sizes"
#define POP3_SIZES_FILE_MAX (64u << 20)

struct pop3_size_entry {
	uint32_t uid;
	uint64_t size;
};

struct pop3_sizes {
	uint32_t uidvalidity;
	struct pop3_size_entry *e;   /* sorted by UID */
	size_t n, cap;
	int dirty;
};

void pop3_sizes_init(struct pop3_sizes *s);
void pop3_sizes_free(struct pop3_sizes *s);
/* Parse the file contents: 0, or -1 (s then empty) when malformed or the
 * UIDVALIDITY differs from want (0: take the file's). */
int pop3_sizes_parse(struct pop3_sizes *s, const char *p, size_t len,
    uint32_t want_uidvalidity);
/* Look up / record the size of uid: 0 found, -1 not found. */
int pop3_sizes_get(const struct pop3_sizes *s, uint32_t uid, uint64_t *size);
void pop3_sizes_put(struct pop3_sizes *s, uint32_t uid, uint64_t size);
/* Serialize into out (the file's contents). */
void pop3_sizes_serialize(const struct pop3_sizes *s, struct buf *out);
/* Load from dir/POP3_SIZES_FILE (missing or bad: empty) and save through
 * a temporary file and rename (errors ignored: it is a cache). */
void pop3_sizes_load(struct pop3_sizes *s, const char *dir,
    uint32_t uidvalidity);
void pop3_sizes_save(const struct pop3_sizes *s, const char *dir);

#endif
