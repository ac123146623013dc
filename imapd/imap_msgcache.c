/* imap_msgcache.c: message parsing for the message commands and the
 * parse-result cache: ENVELOPE, BODY and BODYSTRUCTURE of a message are
 * stored in its maildir index cache blob, so that a FETCH of those items
 * over a large mailbox parses each message once, not at every FETCH.
 *
 * Blob format (read back with full bounds checks; a blob that does not
 * check out is ignored and rebuilt): "PC1" then three records of a
 * 4-octet big-endian length and that many octets (ENVELOPE, BODY,
 * BODYSTRUCTURE).  Blobs above MAILDIR_CACHE_BLOB_MAX are not stored.
 * New blobs are kept in memory and written in batches of up to
 * CACHE_BATCH messages in one index transaction (imap_cache_flush), so the
 * index lock is not held while messages are parsed or sent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_msgcmd.h"
#include "log.h"

#define CACHE_MAGIC "PC1"
#define CACHE_BATCH 256

static struct pending {
	uint32_t uid;
	char *blob;
	size_t len;
} pending[CACHE_BATCH];
static size_t npending;
static const struct maildir_index *pending_idx;

struct message *
imap_msg_parse(struct imap_session *s, struct imap_msg *m)
{
	struct message *msg;
	int fd = imap_msg_open(s, m);

	if (fd < 0)
		return NULL;
	msg = message_parse_fd(fd, NULL);
	close(fd);
	return msg;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(struct buf *b, size_t v)
{
	unsigned char c[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v };
	buf_append(b, c, 4);
}

/* Split a blob into its three records; 0 or -1 when malformed. */
static int
blob_split(const char *p, size_t len, struct imap_cached *c)
{
	const char **out[3] = { &c->env, &c->body, &c->bs };
	size_t *outlen[3] = { &c->envlen, &c->bodylen, &c->bslen };
	size_t off = 3, i;

	if (len < 3 || memcmp(p, CACHE_MAGIC, 3) != 0)
		return -1;
	for (i = 0; i < 3; i++) {
		uint32_t n;
		if (len - off < 4)
			return -1;
		n = get32((const unsigned char *)p + off);
		off += 4;
		if (n > len - off)
			return -1;
		*out[i] = p + off;
		*outlen[i] = n;
		off += n;
	}
	return off == len ? 0 : -1;
}

void
imap_cache_flush(struct imap_session *s)
{
	size_t i;

	if (npending == 0)
		return;
	if (s->mbox != NULL && s->mbox->idx == pending_idx &&
	    maildir_index_begin(s->mbox->idx) == 0) {
		for (i = 0; i < npending; i++)
			(void)maildir_index_cache_set(s->mbox->idx,
			    pending[i].uid, pending[i].blob, pending[i].len);
		if (maildir_index_end(s->mbox->idx) < 0)
			log_warn("cache_write_failed", "dir=%s", s->mbox->dir);
	}
	for (i = 0; i < npending; i++)
		free(pending[i].blob);
	npending = 0;
	pending_idx = NULL;
}

int
imap_cached_get(struct imap_session *s, struct imap_msg *m,
    const struct message *msg, struct imap_cached *c)
{
	struct message *own = NULL;
	struct buf b = BUF_INIT, part = BUF_INIT;
	const void *blob;
	size_t len, i;

	memset(c, 0, sizeof(*c));
	if (m->expunged) {
		errno = ENOENT;
		return -1;
	}
	blob = maildir_index_cache_get(s->mbox->idx, m->uid, &len);
	if (blob != NULL && blob_split(blob, len, c) == 0) {
		/* the pointer is valid until the next index call: copy */
		c->owned = xmalloc(len ? len : 1);
		memcpy(c->owned, blob, len);
		(void)blob_split(c->owned, len, c);
		return 0;
	}
	for (i = 0; i < npending; i++)
		if (pending[i].uid == m->uid && pending_idx == s->mbox->idx) {
			c->owned = xmalloc(pending[i].len);
			memcpy(c->owned, pending[i].blob, pending[i].len);
			(void)blob_split(c->owned, pending[i].len, c);
			return 0;
		}
	if (msg == NULL) {
		own = imap_msg_parse(s, m);
		if (own == NULL)
			return -1;
		msg = own;
	}
	buf_append(&b, CACHE_MAGIC, 3);
	imap_envelope_write(msg, msg->root, &part);
	put32(&b, part.len);
	buf_append(&b, part.p, part.len);
	buf_reset(&part);
	imap_bodystructure_write(msg, msg->root, 0, &part);
	put32(&b, part.len);
	buf_append(&b, part.p, part.len);
	buf_reset(&part);
	imap_bodystructure_write(msg, msg->root, 1, &part);
	put32(&b, part.len);
	buf_append(&b, part.p, part.len);
	buf_free(&part);
	if (own != NULL)
		message_free(own);
	len = b.len;
	c->owned = buf_steal(&b, &len);
	(void)blob_split(c->owned, len, c);
	if (len <= MAILDIR_CACHE_BLOB_MAX) {
		if (npending == CACHE_BATCH ||
		    (npending > 0 && pending_idx != s->mbox->idx))
			imap_cache_flush(s);
		pending[npending].uid = m->uid;
		pending[npending].blob = xmalloc(len);
		memcpy(pending[npending].blob, c->owned, len);
		pending[npending].len = len;
		pending_idx = s->mbox->idx;
		npending++;
	}
	return 0;
}

void
imap_cached_free(struct imap_cached *c)
{
	free(c->owned);
	memset(c, 0, sizeof(*c));
}
