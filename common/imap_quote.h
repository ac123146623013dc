/* imap_quote.h: IMAP string output (RFC 3501 4.3, 4.5): quoted string
 * when the octets allow it, literal otherwise, NIL for absent values. */
#ifndef POSTERN_IMAP_QUOTE_H
#define POSTERN_IMAP_QUOTE_H

#include <stddef.h>
#include "buf.h"

/* Quoted when (p, len) is 7-bit without CR, LF or NUL and at most 1024
 * octets; otherwise a literal {n}CRLF.  NUL octets can not be sent in
 * IMAP4rev1 strings: they are replaced by 0x80 (as the reference server
 * does in BODY[] data). */
void imap_write_string(struct buf *out, const char *p, size_t len);
/* NIL when p is NULL. */
void imap_write_nstring(struct buf *out, const char *p, size_t len);
/* NUL-terminated convenience forms. */
void imap_write_cstring(struct buf *out, const char *s);
void imap_write_ncstring(struct buf *out, const char *s);
/* As imap_write_nstring, but CR and LF are removed first (unfolded header
 * values in ENVELOPE and BODYSTRUCTURE). */
void imap_write_nstring_nolf(struct buf *out, const char *p, size_t len);
/* For the ENVELOPE subject: every run of white space (SP, TAB, CR, LF,
 * so folding too) becomes one space, none at either end — the form the
 * reference server sends. */
void imap_write_nstring_collapse(struct buf *out, const char *p, size_t len);
/* Always a literal: "{n}" CRLF octets (BODY[...] data). */
void imap_write_literal(struct buf *out, const char *p, size_t len);

#endif
