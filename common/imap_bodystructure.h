/* imap_bodystructure.h: IMAP BODY and BODYSTRUCTURE (RFC 3501 7.4.2) of a
 * parsed message, with extension data for BODYSTRUCTURE. */
#ifndef POSTERN_IMAP_BODYSTRUCTURE_H
#define POSTERN_IMAP_BODYSTRUCTURE_H

#include "buf.h"
#include "message.h"

/* Append the body structure of part (msg->root for the whole message).
 * extended = 1: BODYSTRUCTURE (md5, disposition, language, location;
 * multipart parameters), 0: BODY.  Sizes are in CRLF terms.  Text parts
 * without a charset get ("charset" "us-ascii"); a multipart without parts
 * is written as one empty text/plain part. */
void imap_bodystructure_write(const struct message *msg,
			      const struct message_part *part,
			      int extended, struct buf *out);

#endif
