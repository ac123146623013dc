/* imap_envelope.h: the IMAP ENVELOPE structure (RFC 3501 7.4.2) of a
 * message or of a message/rfc822 part, built from its header fields. */
#ifndef POSTERN_IMAP_ENVELOPE_H
#define POSTERN_IMAP_ENVELOPE_H

#include "buf.h"
#include "message.h"
#include "rfc822addr.h"

/* Append "(date subject from sender reply-to to cc bcc in-reply-to
 * message-id)" for the header of part (the root part, or the child of a
 * message/rfc822 part); a NULL part gives a list of ten NILs.  Strings are
 * the raw field values with folding line ends removed; repeated address
 * fields are merged, of repeated string fields the last one counts;
 * Sender and Reply-To default to From. */
void imap_envelope_write(const struct message *msg, const struct message_part *part,
			 struct buf *out);

/* Append an address list as "((name adl mailbox host) ...)" or NIL. */
void imap_address_list_write(const struct rfc822_address *list, struct buf *out);

#endif
