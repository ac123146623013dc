/* imap_msgcmd.h: helpers shared by the message commands of postern-imapd
 * (imap_fetch.c, imap_store.c, imap_search*.c, imap_copy.c): loading and
 * parsing a message of the view, and the parse-result cache. */
#ifndef POSTERN_IMAP_MSGCMD_H
#define POSTERN_IMAP_MSGCMD_H

#include "imapd.h"
#include "message.h"

/* Open and parse m's file (mmap'ed; free with message_free).  NULL when
 * it is gone (errno ENOENT) or can not be read. */
struct message *imap_msg_parse(struct imap_session *s, struct imap_msg *m);

/* The parse results kept in the index cache blob of a message: ENVELOPE,
 * BODY and BODYSTRUCTURE texts (pointers into the blob or into owned
 * memory; valid until imap_cached_free). */
struct imap_cached {
	const char *env, *body, *bs;
	size_t envlen, bodylen, bslen;
	char *owned;     /* when built here rather than read from the cache */
};
/* Fill c for m from the cache, or parse the message (msg when the caller
 * has it already, else opened here) and queue a blob for
 * imap_cache_flush.  0, -1 when the message is gone. */
int imap_cached_get(struct imap_session *s, struct imap_msg *m,
    const struct message *msg, struct imap_cached *c);
void imap_cached_free(struct imap_cached *c);
/* RFC822.SIZE of m: from the file name (",W="), the cache, or counted
 * (and then cached).  Sets m->size.  0, -1 when the message is gone. */
int imap_cached_size(struct imap_session *s, struct imap_msg *m,
    uint64_t *out);
/* Write the queued blobs to the cache in one index transaction. */
void imap_cache_flush(struct imap_session *s);

#endif
