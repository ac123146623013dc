/* base64.h: RFC 4648 base64 encoding and decoding (strict for SASL,
 * lenient for MIME bodies, RFC 2045 6.8).  Decoders never read past
 * (p, len) and append to a struct buf. */
#ifndef POSTERN_BASE64_H
#define POSTERN_BASE64_H

#include <stddef.h>
#include "buf.h"

/* Append the base64 encoding of (p, len) to out (no line breaks). */
void base64_encode(const char *p, size_t len, struct buf *out);

/* Strict decoding: only the alphabet, correct '=' padding, no white space.
 * Returns 0 and appends the octets, or -1 (out may hold a partial result). */
int base64_decode_strict(const char *p, size_t len, struct buf *out);

/* MIME decoding (RFC 2045 6.8): characters outside the alphabet are
 * ignored, decoding stops at the first '='.  A trailing incomplete group
 * is decoded as far as it carries whole octets.  Returns the number of
 * ignored (invalid, non-white-space) characters, 0 for clean input. */
size_t base64_decode_mime(const char *p, size_t len, struct buf *out);

/* Size of the decoded form of (p, len) under base64_decode_mime, without
 * building it. */
size_t base64_decoded_size(const char *p, size_t len);

#endif
