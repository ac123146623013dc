/* casemap.h: the i;unicode-casemap collation (RFC 5051), used by IMAP
 * SEARCH and SORT and by mailbox-name comparison.
 *
 * A string is prepared ("titlecased canonicalized UTF-8", RFC 5051 2):
 * each code point is mapped to its simple titlecase, then replaced by its
 * full (canonical and compatibility) decomposition, recursively (the parts
 * titlecased again, so that preparing twice changes nothing).  Equality
 * and substring match compare prepared strings octet by octet; ordering is
 * i;octet on the prepared strings.  A string that is not valid UTF-8 is
 * treated as binary (RFC 5051 2): its octets are used unchanged. */
#ifndef POSTERN_CASEMAP_H
#define POSTERN_CASEMAP_H

#include <stddef.h>
#include "buf.h"

/* Append the prepared form of (p, len) to out.  Returns 0 for valid UTF-8,
 * 1 when p is not valid UTF-8 (then the octets are appended unchanged).
 * The output is at most CASEMAP_MAX_GROWTH times the input. */
#define CASEMAP_MAX_GROWTH 72
int casemap_fold(const char *p, size_t len, struct buf *out);

/* Equality and ordering (<0, 0, >0) under the collation. */
int casemap_equal(const char *a, size_t alen, const char *b, size_t blen);
int casemap_compare(const char *a, size_t alen, const char *b, size_t blen);

/* True when needle occurs in haystack under the collation (an empty
 * needle matches everything). */
int casemap_contains(const char *hay, size_t hlen, const char *needle,
    size_t nlen);
/* Same with a needle already prepared by casemap_fold (for searching many
 * texts for one key). */
int casemap_contains_folded(const char *hay, size_t hlen,
    const char *folded_needle, size_t nlen);

#endif
