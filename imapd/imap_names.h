/* imap_names.h: IMAP mailbox names <-> Maildir++ folder names, and LIST
 * pattern matching.
 *
 * The hierarchy delimiter is '.', as in Maildir++ (Dovecot's and Courier's
 * default), so the IMAP name "Lists.postern" is the folder ".Lists.postern".
 * On disk names are kept in modified UTF-7 (RFC 3501 5.1.3), as Dovecot and
 * Courier keep them, so each of them shows the same folder names.  A client
 * in IMAP4rev1 speaks modified UTF-7 (checked strictly); after ENABLE
 * IMAP4rev2 or UTF8=ACCEPT it speaks UTF-8, converted on the way in and out.
 * INBOX is case-insensitive and is the folder "" (the Maildir root). */
#ifndef POSTERN_IMAP_NAMES_H
#define POSTERN_IMAP_NAMES_H

#include <stddef.h>
#include "buf.h"

#define IMAP_DELIM '.'
#define IMAP_DELIM_STR "."
#define IMAP_NAME_MAX 400          /* client form, octets */

/* Client name (p, len) to the on-disk folder name in out ("" for INBOX).
 * utf8: the client speaks UTF-8.  0, or -1 with *why (static text). */
int imap_name_to_folder(int utf8, const char *p, size_t len,
    struct buf *out, const char **why);
/* On-disk folder name to the client form (INBOX for ""). */
void imap_name_from_folder(int utf8, const char *folder, size_t len,
    struct buf *out);
/* Is (p, len) valid UTF-8 without control characters? */
int imap_name_utf8_valid(const char *p, size_t len);

/* LIST pattern match (RFC 3501 6.3.8): '*' matches anything, '%' anything
 * but the delimiter; INBOX matched case-insensitively.  1 match, 0 not.
 * Work is bounded by plen * nlen (both at most IMAP_NAME_MAX*2). */
int imap_name_match(const char *pattern, size_t plen, const char *name,
    size_t nlen);
#endif
