/* imap_msgcmd.h: helpers shared by the message commands of postern-imapd
 * (imap_fetch.c, imap_store.c, imap_search*.c, imap_copy.c): loading and
 * parsing a message of the view, and the parse-result cache. */
#ifndef POSTERN_IMAP_MSGCMD_H
#define POSTERN_IMAP_MSGCMD_H

#include "imapd.h"
#include "message.h"
#include "imap_fetch_items.h"

/* Open and parse m's file (mmap'ed; free with message_free).  NULL when
 * it is gone (errno ENOENT) or can not be read. */
struct message *imap_msg_parse(struct imap_session *s, struct imap_msg *m);

/* The parse results kept in the index cache blob of a message: ENVELOPE,
 * BODY and BODYSTRUCTURE texts and the search header (the raw top-level
 * fields of imap_search_cached_field, ending in an empty line; when
 * have_shdr) as pointers into the blob or into owned memory; valid until
 * imap_cached_free. */
struct imap_cached {
	const char *env, *body, *bs, *shdr;
	size_t envlen, bodylen, bslen, shdrlen;
	int have_shdr;
	int size_unknown;   /* a search-header-only entry without the size */
	char *owned;     /* when built here rather than read from the cache */
};
/* Fill c for m from the cache, or parse the message (msg when the caller
 * has it already, else opened here) and queue a blob for
 * imap_cache_flush.  0, -1 when the message is gone. */
int imap_cached_get(struct imap_session *s, struct imap_msg *m,
    const struct message *msg, struct imap_cached *c);
void imap_cached_free(struct imap_cached *c);
/* Only the search header of m from the cache (never parses the file):
 * 0 with c->shdr filled, -1 when not cached (the caller reads the file). */
int imap_cached_search_header(struct imap_session *s, struct imap_msg *m,
    struct imap_cached *c);
/* Queue a blob with m's size and the search header taken from hdr (a
 * parse of at least m's top-level header), after a SEARCH had to read the
 * file, so that the next SEARCH does not (the structure records stay
 * empty and are filled by a later FETCH). */
void imap_cache_search_header(struct imap_session *s, struct imap_msg *m,
    const struct message *hdr);
/* RFC822.SIZE of m: from the file name (",W="), the cache, or counted
 * (and then cached).  Sets m->size.  0, -1 when the message is gone. */
int imap_cached_size(struct imap_session *s, struct imap_msg *m,
    uint64_t *out);
/* Write the queued blobs to the cache in one index transaction. */
void imap_cache_flush(struct imap_session *s);

/* FETCH of the whole message without a parse (imap_fetch_whole.c).
 * whole_only: every message item of r is BODY[]/BODY.PEEK[]/RFC822
 * without a partial range (and there is one); whole_item: it is such an
 * item.  load: m's file into data (reused; a short file is sent as it
 * is; fills INTERNALDATE from the same fstat), 0, 1 when the file is too
 * large for this path (the caller parses it instead), -1 (gone).  write:
 * the literal of (p, len) as BODY[] sends it (CRLF line ends, NUL as
 * 0x80). */
int imap_fetch_whole_only(const struct freq *r);
int imap_fetch_whole_item(const struct fitem *it);
int imap_fetch_whole_load(struct imap_session *s, struct imap_msg *m,
    struct buf *data);
void imap_fetch_whole_write(const char *p, size_t len, struct buf *out);

/* BINARY (imap_binary_check.c): 1 when every base64/quoted-printable
 * leaf of the section is well formed (or there is no such part), 0 when
 * the fetch must fail.  The validators are exposed for tests. */
int imap_binary_decodable(const struct message *msg,
    const struct imap_section *sec);
int imap_base64_valid(const char *p, size_t len);
int imap_qp_valid(const char *p, size_t len);

#endif
