/* rfc2047.h: RFC 2047 encoded words ("=?charset?B|Q?text?=") decoded to
 * UTF-8, and the charset conversion that the body-text decoder for SEARCH
 * also uses (glibc iconv).  Output is always valid UTF-8: octets that are
 * not valid in their charset become U+FFFD. */
#ifndef POSTERN_RFC2047_H
#define POSTERN_RFC2047_H

#include <stddef.h>
#include "buf.h"

/* Convert (p, len) from charset (NUL-terminated name; NULL or "" means
 * UTF-8 / US-ASCII) to UTF-8, appending to out.  Returns 0, or -1 when the
 * charset is unknown (then the octets are appended as UTF-8 with invalid
 * sequences replaced). */
int charset_to_utf8(const char *charset, const char *p, size_t len, struct buf *out);

/* Append (p, len) to out with invalid UTF-8 sequences replaced by U+FFFD. */
void utf8_sanitize(const char *p, size_t len, struct buf *out);

/* Decode a header field value: encoded words become UTF-8 text, white
 * space between two adjacent encoded words is dropped (RFC 2047 6.2), all
 * other text is kept (8-bit octets taken as UTF-8).  A malformed encoded
 * word is kept literally.  An RFC 2231 language suffix ("utf-8*en") is
 * accepted.  Folding (CR)LF is removed. */
void rfc2047_decode(const char *p, size_t len, struct buf *out);

#endif
