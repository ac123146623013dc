/* pop3_uidl.h: POP3 UIDL values (RFC 1939 7) for Maildir messages.
 *
 * We use Dovecot 2.3's default pop3_uidl_format, "%08Xu%08Xv": the UID
 * and the folder's UIDVALIDITY as 8 upper-case hex digits each.  A Maildir
 * migrated from Dovecot keeps its UIDs and UIDVALIDITY (maildir_import.h),
 * so its POP3 clients see the same UIDLs and do not download everything
 * again.  A UIDL that Dovecot stored explicitly for a message (the 'P'
 * field of dovecot-uidlist, from an earlier migration) wins when it is a
 * valid UIDL. */
#ifndef POSTERN_POP3_UIDL_H
#define POSTERN_POP3_UIDL_H

#include <stddef.h>
#include <stdint.h>

#define POP3_UIDL_MAX 70   /* RFC 1939: 1 to 70 characters 0x21-0x7E */

/* Is p/len a valid RFC 1939 unique-id? */
int pop3_uidl_valid(const char *p, size_t len);
/* Write the UIDL of a message into out (size >= POP3_UIDL_MAX + 1):
 * override when valid, else "%08x%08x" of uid, uidvalidity (Dovecot expands %X in lower case).  Returns the
 * length. */
size_t pop3_uidl_make(char *out, size_t outlen, uint32_t uid,
    uint32_t uidvalidity, const char *override);

#endif
