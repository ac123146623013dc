/* imap_msgcache.c: message parsing for the message commands and the
 * parse-result cache: ENVELOPE, BODY and BODYSTRUCTURE of a message, and
 * the top-level header fields SEARCH looks at most, are stored in its
 * maildir index cache blob, so that a FETCH of those items or a SEARCH
 * FROM/SUBJECT/... over a large mailbox parses each message once, not at
 * every command.
 *
 * Blob format (read back with full bounds checks; a blob that does not
 * check out is ignored and rebuilt): "PC3", a flags octet (bit 0: the
 * structure records are filled; bit 1: the search-header record is
 * filled; bit 2: the size is not known, only with bit 0 clear; 0: only
 * the size is known), the RFC822.SIZE as 8 octets
 * big-endian, then four records of a 4-octet big-endian length and that
 * many octets (ENVELOPE, BODY, BODYSTRUCTURE, and the raw lines of the
 * top-level header fields named by imap_search_cached_field followed by
 * an empty line).  Blobs of the older "PC2" format (three records, no
 * search header) count as size-only and are rebuilt when needed.  The size alone is cached too when a
 * FETCH had to count it (a file name without ",W=").  Blobs above
 * MAILDIR_CACHE_BLOB_MAX are not stored.
 * New blobs are kept in memory and written in batches of up to
 * CACHE_BATCH messages or CACHE_BATCH_BYTES octets in one index
 * transaction (imap_cache_flush; each rewrites postern-cache, so batches
 * are large), so the index lock is not held while messages are parsed or
 * sent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_msgcmd.h"
#include "imap_search.h"
#include "log.h"

#define CACHE_MAGIC "PC3"
#define CACHE_MAGIC_OLD "PC2"   /* three records, no search header */
#define CACHE_FULL 1
#define CACHE_SHDR 2
#define CACHE_NOSIZE 4    /* the size field is not known (search header only) */
/* the search-header record is left out above this (the file is read) */
#define CACHE_SHDR_MAX 8192
#define CACHE_HEAD 12   /* magic, flags, size */
#define CACHE_BATCH 4096
#define CACHE_BATCH_BYTES (8u << 20)

static struct pending {
	uint32_t uid;
	char *blob;
	size_t len;
} pending[CACHE_BATCH];
static size_t npending, pending_bytes;
static uint32_t pending_max_uid;
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

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Split a blob into its records; 0 or -1 when malformed.  *full: the
 * structure records are filled; c->have_shdr: the search header is. */
static int
blob_split(const char *p, size_t len, struct imap_cached *c, int *full,
    uint64_t *size)
{
	const char **out[4] = { &c->env, &c->body, &c->bs, &c->shdr };
	size_t *outlen[4] = { &c->envlen, &c->bodylen, &c->bslen, &c->shdrlen };
	size_t off = CACHE_HEAD, i, nrec;

	if (len < CACHE_HEAD)
		return -1;
	if (memcmp(p, CACHE_MAGIC, 3) == 0 && (p[3] & ~7) == 0 &&
	    (p[3] & (CACHE_FULL | CACHE_NOSIZE)) != (CACHE_FULL | CACHE_NOSIZE))
		nrec = 4;
	else if (memcmp(p, CACHE_MAGIC_OLD, 3) == 0 && (p[3] == 0 || p[3] == 1))
		nrec = 3;
	else
		return -1;
	/* an old blob's structure records are rebuilt once (so that the
	 * search header gets cached); its size stays usable */
	*full = nrec == 4 && (p[3] & CACHE_FULL) != 0;
	c->have_shdr = nrec == 4 && (p[3] & CACHE_SHDR) != 0;
	c->size_unknown = nrec == 4 && (p[3] & CACHE_NOSIZE) != 0;
	*size = get64((const unsigned char *)p + 4);
	for (i = 0; i < nrec; i++) {
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

/* The search-header record of msg: the raw lines of its top-level fields
 * that SEARCH keeps (each ending in LF), then an empty line.  -1 when
 * they are too long to cache. */
static int
shdr_write(const struct message *msg, struct buf *out)
{
	const struct message_part *root = msg->root;
	size_t i;

	for (i = 0; i < root->nfields; i++) {
		const struct message_header_field *f = &root->fields[i];
		size_t n = f->end - f->start;
		if (!imap_search_cached_field(msg->p + f->start, f->name_len))
			continue;
		if (n > CACHE_SHDR_MAX || out->len + n + 2 > CACHE_SHDR_MAX)
			return -1;
		buf_append(out, msg->p + f->start, n);
		if (n == 0 || msg->p[f->end - 1] != '\n')
			buf_putc(out, '\n');
	}
	buf_putc(out, '\n');
	return 0;
}

static void
queue_blob(struct imap_session *s, uint32_t uid, const char *blob,
    size_t len)
{
	size_t i;

	if (len > MAILDIR_CACHE_BLOB_MAX)
		return;
	if (npending > 0 && pending_idx != s->mbox->idx)
		imap_cache_flush(s);
	i = npending;
	if (uid <= pending_max_uid)
		for (i = 0; i < npending; i++)
			if (pending[i].uid == uid) {
				pending_bytes -= pending[i].len;
				free(pending[i].blob);
				break;
			}
	if (i == npending) {
		if (npending == CACHE_BATCH ||
		    pending_bytes + len > CACHE_BATCH_BYTES) {
			imap_cache_flush(s);
			i = 0;
		}
		npending++;
	}
	pending_bytes += len;
	if (uid > pending_max_uid)
		pending_max_uid = uid;
	pending[i].uid = uid;
	pending[i].blob = xmalloc(len);
	memcpy(pending[i].blob, blob, len);
	pending[i].len = len;
	pending_idx = s->mbox->idx;
}

/* The blob of uid (pending or stored), copied into *copy; NULL if none. */
static char *
blob_find(struct imap_session *s, uint32_t uid, size_t *len)
{
	const void *b;
	char *copy;
	size_t i;

	if (pending_idx == s->mbox->idx && uid <= pending_max_uid)
		for (i = 0; i < npending; i++)
			if (pending[i].uid == uid) {
				copy = xmalloc(pending[i].len);
				memcpy(copy, pending[i].blob, pending[i].len);
				*len = pending[i].len;
				return copy;
			}
	b = maildir_index_cache_get(s->mbox->idx, uid, len);
	if (b == NULL)
		return NULL;
	/* the pointer is valid until the next index call: copy */
	copy = xmalloc(*len ? *len : 1);
	memcpy(copy, b, *len);
	return copy;
}

static void
put64(struct buf *b, uint64_t v)
{
	put32(b, (size_t)(v >> 32));
	put32(b, (size_t)(v & 0xffffffffu));
}

int
imap_cached_size(struct imap_session *s, struct imap_msg *m, uint64_t *out)
{
	const struct maildir_msg *f;
	struct imap_cached c;
	struct buf b = BUF_INIT;
	size_t len;
	char *blob;
	uint64_t size;
	int full;

	if (m->have_size) {
		*out = m->size;
		return 0;
	}
	f = imap_msg_file(s, m);
	if (f == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (maildir_name_vsize(f->name, f->name_len, &size) == 0)
		goto done;
	blob = blob_find(s, m->uid, &len);
	if (blob != NULL) {
		memset(&c, 0, sizeof(c));
		if (blob_split(blob, len, &c, &full, &size) == 0 &&
		    !c.size_unknown) {
			free(blob);
			goto done;
		}
		free(blob);
	}
	if (imap_msg_size(s, m, &size) < 0)
		return -1;
	buf_append(&b, CACHE_MAGIC, 3);
	buf_putc(&b, 0);
	put64(&b, size);
	put32(&b, 0);
	put32(&b, 0);
	put32(&b, 0);
	put32(&b, 0);
	queue_blob(s, m->uid, b.p, b.len);
	buf_free(&b);
done:
	m->size = size;
	m->have_size = 1;
	*out = size;
	return 0;
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
	pending_bytes = 0;
	pending_max_uid = 0;
	pending_idx = NULL;
}

int
imap_cached_get(struct imap_session *s, struct imap_msg *m,
    const struct message *msg, struct imap_cached *c)
{
	struct message *own = NULL;
	struct buf b = BUF_INIT, part = BUF_INIT;
	size_t len;
	uint64_t size;
	char *blob;
	int full = 0;

	memset(c, 0, sizeof(*c));
	if (m->expunged) {
		errno = ENOENT;
		return -1;
	}
	blob = blob_find(s, m->uid, &len);
	if (blob != NULL) {
		if (blob_split(blob, len, c, &full, &size) == 0 && full) {
			c->owned = blob;
			if (!m->have_size) {
				m->size = size;
				m->have_size = 1;
			}
			return 0;
		}
		free(blob);
		memset(c, 0, sizeof(*c));
	}
	if (msg == NULL) {
		own = imap_msg_parse(s, m);
		if (own == NULL)
			return -1;
		msg = own;
	}
	buf_append(&b, CACHE_MAGIC, 3);
	buf_putc(&b, CACHE_FULL);
	put64(&b, msg->size);
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
	buf_reset(&part);
	if (shdr_write(msg, &part) == 0)
		b.p[3] |= CACHE_SHDR;
	else
		buf_reset(&part);
	put32(&b, part.len);
	buf_append(&b, part.p, part.len);
	buf_free(&part);
	if (!m->have_size) {
		m->size = msg->size;
		m->have_size = 1;
	}
	if (own != NULL)
		message_free(own);
	len = b.len;
	c->owned = buf_steal(&b, &len);
	(void)blob_split(c->owned, len, c, &full, &size);
	queue_blob(s, m->uid, c->owned, len);
	return 0;
}

void
imap_cache_search_header(struct imap_session *s, struct imap_msg *m,
    const struct message *hdr)
{
	struct buf b = BUF_INIT, part = BUF_INIT;
	const struct maildir_msg *f;
	uint64_t size = 0;
	int flags = CACHE_SHDR;

	if (m->expunged || (f = imap_msg_file(s, m)) == NULL ||
	    shdr_write(hdr, &part) < 0) {
		buf_free(&part);
		return;
	}
	/* the size only when it is known without reading the file */
	if (m->have_size)
		size = m->size;
	else if (maildir_name_vsize(f->name, f->name_len, &size) < 0)
		flags |= CACHE_NOSIZE;
	buf_append(&b, CACHE_MAGIC, 3);
	buf_putc(&b, (char)flags);
	put64(&b, size);
	put32(&b, 0);
	put32(&b, 0);
	put32(&b, 0);
	put32(&b, part.len);
	buf_append(&b, part.p, part.len);
	queue_blob(s, m->uid, b.p, b.len);
	buf_free(&part);
	buf_free(&b);
}

int
imap_cached_search_header(struct imap_session *s, struct imap_msg *m,
    struct imap_cached *c)
{
	size_t len;
	uint64_t size;
	char *blob;
	int full;

	memset(c, 0, sizeof(*c));
	if (m->expunged)
		return -1;
	blob = blob_find(s, m->uid, &len);
	if (blob == NULL)
		return -1;
	if (blob_split(blob, len, c, &full, &size) < 0 || !c->have_shdr) {
		free(blob);
		memset(c, 0, sizeof(*c));
		return -1;
	}
	c->owned = blob;
	return 0;
}

void
imap_cached_free(struct imap_cached *c)
{
	free(c->owned);
	memset(c, 0, sizeof(*c));
}
