/* imap_section.h: BODY[section]<partial> and BINARY[section] (RFC 3501
 * 6.4.5, RFC 3516): section-spec parsing and extraction of the section's
 * octets from a parsed message, in CRLF terms. */
#ifndef POSTERN_IMAP_SECTION_H
#define POSTERN_IMAP_SECTION_H

#include <stddef.h>
#include "buf.h"
#include "message.h"

#define IMAP_SECTION_MAX_DEPTH 64
#define IMAP_SECTION_MAX_FIELDS 256

enum imap_section_kind {
	IMAP_SECTION_ALL,            /* "" or a part number alone */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME
};

struct imap_section {
	unsigned int nums[IMAP_SECTION_MAX_DEPTH];
	size_t nnums;
	enum imap_section_kind kind;
	char *fields[IMAP_SECTION_MAX_FIELDS];   /* HEADER.FIELDS names */
	size_t nfields;
};

/* Parse the text between '[' and ']' (e.g. "1.2.HEADER.FIELDS (FROM TO)").
 * binary = 1 allows part numbers only (BINARY[...]).  Returns 0, or -1
 * for a syntax error.  Free with imap_section_free (also after -1). */
int imap_section_parse(const char *p, size_t len, int binary, struct imap_section *sec);
void imap_section_free(struct imap_section *sec);

/* Append the section's octets, with bare LF written as CRLF.  Returns 0,
 * or -1 when the part does not exist.  HEADER, TEXT and HEADER.FIELDS of
 * a numbered part that is not message/rfc822 give no octets. */
int imap_section_fetch(const struct message *msg, const struct imap_section *sec,
		       struct buf *out);

/* BINARY[section]: the part's body decoded from its
 * Content-Transfer-Encoding (7bit/8bit/binary as is, base64,
 * quoted-printable).  For BINARY[] and multipart or message/rfc822 parts,
 * as the reference server: every base64/QP leaf inside is decoded and its
 * header says "Content-Transfer-Encoding: binary"; the rest is as is.
 * Returns 0, -1 when the part does not exist, -2 when a leaf has an
 * unknown encoding (RFC 3516 UNKNOWN-CTE). */
int imap_binary_fetch(const struct message *msg, const struct imap_section *sec,
		      struct buf *out);

/* Apply <origin.count> (count (size_t)-1: to the end) to data, write the
 * remaining octets as a literal (literal8 "~{n}" when binary and NUL
 * octets occur). */
void imap_partial_write(const char *p, size_t len, size_t origin, size_t count,
			int binary, struct buf *out);

#endif
