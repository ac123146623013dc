/* message.h: streaming RFC 5322 / MIME structure parser.
 *
 * message_parse() walks a message once (linear time) and builds a tree of
 * parts: for each part its header fields, the raw byte ranges of its header
 * and body, and the sizes and line counts IMAP reports, in CRLF terms (a
 * bare LF counts as CRLF; a bare CR counts as one octet).  The message
 * text itself is not copied: the tree points into the caller's buffer,
 * which must outlive the struct message (a buffer or an mmap'ed file).
 *
 * Structure rules follow the reference IMAP server (Dovecot 2.3), which is
 * what IMAP clients see elsewhere: a delimiter line is "--" plus any open
 * boundary as a prefix (the longest one wins, the innermost on a tie); the
 * (CR)LF before a delimiter belongs to the delimiter; a close delimiter
 * ends its multipart and the rest is epilogue; a part with no
 * Content-Type is text/plain, or message/rfc822 inside multipart/digest;
 * the first Content-Type field wins; a multipart without a boundary is a
 * leaf; message/rfc822 bodies are parsed as messages whatever their
 * Content-Transfer-Encoding.
 *
 * Caps (struct message_limits) bound the work on hostile input; reaching
 * one gives a well-defined degraded tree and sets message->degraded:
 * header fields past max_header_fields or past max_header_bytes of a part
 * are not recorded (they stay in the header's bytes); past max_depth a
 * multipart or message/rfc822 is a leaf; past max_parts no further
 * delimiters are recognised (the text stays in the enclosing part). */
#ifndef POSTERN_MESSAGE_H
#define POSTERN_MESSAGE_H

#include <stddef.h>
#include "buf.h"
#include "rfc2231.h"

struct message_limits {
	unsigned int max_header_fields;  /* recorded fields per part header */
	size_t max_header_bytes;         /* recorded header bytes per part */
	unsigned int max_depth;          /* multipart/message nesting */
	unsigned int max_parts;          /* parts in the whole message */
	unsigned int max_params;         /* MIME parameters + 2231 pieces */
	unsigned int max_addresses;      /* addresses per address field */
};

/* Fills the defaults: 10000 fields, 1 MB of header, depth 100, 10000 parts
 * (the reference server's part limits),
 * 256 parameters, 10000 addresses. */
void message_limits_default(struct message_limits *lim);

/* One header field, as raw offsets into the message. */
struct message_header_field {
	size_t start;        /* first octet of the field name */
	size_t name_len;     /* name without trailing white space */
	size_t value_start;  /* after ':' and leading white space (= end if
	                        the line has no ':') */
	size_t value_end;    /* end of the value, before its final (CR)LF */
	size_t end;          /* after the final LF (or the end of data) */
	int has_colon;
};

enum {
	MESSAGE_PART_MULTIPART = 1,
	MESSAGE_PART_DIGEST = 2,         /* multipart/digest */
	MESSAGE_PART_RFC822 = 4,         /* message/rfc822: one child */
	MESSAGE_PART_TEXT = 8
};

struct message_part {
	struct message_part *parent, *children, *next;
	struct message_part *last_child;        /* parser's append point */
	unsigned int flags;
	unsigned int depth;

	/* raw offsets: header [header_start, body_start),
	 * body [body_start, body_end) */
	size_t header_start, body_start, body_end;
	/* CRLF terms */
	size_t header_size, body_size;
	size_t header_lines, body_lines;

	struct message_header_field *fields;
	size_t nfields;

	/* from the first Content-Type field; NULL when absent */
	char *content_type, *content_subtype;
	struct mime_params params;
	int content_type_broken;         /* parameters were not read */
	char *cte;                       /* Content-Transfer-Encoding token */
};

struct message {
	const char *p;
	size_t len;
	struct message_part *root;
	size_t size;                     /* whole message, CRLF terms */
	unsigned int nparts;
	int degraded;                    /* some cap was reached */
	struct message_limits limits;
	void *map;                       /* message_parse_fd's mapping */
	size_t map_len;
};

/* Parse (p, len); lim NULL means defaults.  Never fails (exit 111 on
 * memory exhaustion as everywhere).  Free with message_free. */
struct message *message_parse(const char *p, size_t len,
			      const struct message_limits *lim);
void message_free(struct message *msg);
/* Map the regular file open on fd (read-only, private mapping) and parse
 * it; the mapping is released by message_free and fd may be closed at
 * once.  NULL with errno set when the file can not be mapped.  The file
 * must not shrink while mapped (Maildir message files never change). */
struct message *message_parse_fd(int fd, const struct message_limits *lim);

/* Size of (p, len) with each bare LF counted as CRLF. */
size_t message_crlf_size(const char *p, size_t len);
/* Append (p, len) to out with each bare LF written as CRLF. */
void message_write_crlf(const char *p, size_t len, struct buf *out);

/* Case-insensitive field-name match. */
int message_field_is(const struct message *msg,
		     const struct message_header_field *f, const char *name);
/* First field of part named name, or NULL. */
const struct message_header_field *
message_part_field(const struct message *msg, const struct message_part *part,
		   const char *name);

/* Part number "1.2.3" (RFC 3501 6.4.5) → part, or NULL.  Parts of a
 * message/rfc822 are those of its message; "1" of a single-part message
 * is that message, "1" of a non-multipart part inside a multipart is that
 * part (both as the reference server answers). */
const struct message_part *message_part_by_number(const struct message *msg,
						  const unsigned int *nums,
						  size_t n);

/* Body text for SEARCH: decode (p, len) by its Content-Transfer-Encoding
 * (base64, quoted-printable, else as is) and convert from charset to
 * UTF-8, appending to out. */
void message_decode_body_text(const char *cte, const char *charset,
			      const char *p, size_t len, struct buf *out);

#endif
