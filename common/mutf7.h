/* mutf7.h: IMAP modified UTF-7 mailbox names (RFC 3501 5.1.3) <-> UTF-8,
 * strict both ways.
 *
 * Encoding takes valid UTF-8 only (no overlong forms, no surrogates, no
 * NUL).  Decoding refuses everything a correct encoder would not produce:
 * octets outside 0x20..0x7e, "&" shifts that are empty (other than "&-")
 * or unterminated, characters outside the modified base64 alphabet,
 * printable US-ASCII encoded in base64, a shift right after another one,
 * padding bits that are not zero or leftovers of a whole 16-bit unit,
 * unpaired surrogates, U+0000. */
#ifndef POSTERN_MUTF7_H
#define POSTERN_MUTF7_H

#include <stddef.h>
#include "buf.h"

/* Append the modified UTF-7 form of UTF-8 (p, len) to out.  0, or -1 with
 * *why (if why is not NULL); out then holds a partial result. */
int mutf7_encode(const char *p, size_t len, struct buf *out, const char **why);
/* Append the UTF-8 form of modified UTF-7 (p, len) to out.  0 or -1. */
int mutf7_decode(const char *p, size_t len, struct buf *out, const char **why);
/* True when (p, len) is valid, canonical modified UTF-7. */
int mutf7_valid(const char *p, size_t len);

#endif
