/* imap_search_eval.c: evaluation of a SEARCH key tree (imap_search.h)
 * against one message: flags and numbers from the view, dates and sizes
 * and text through the caller's need() callback.  Text keys: header
 * values are unfolded and RFC 2047-decoded, bodies of text parts decoded
 * from their transfer encoding and charset (also inside message/rfc822
 * parts), then matched as i;unicode-casemap substrings. */
#include <string.h>
#include <strings.h>
#include "casemap.h"
#include "imap_search.h"
#include "maildir.h"
#include "rfc2047.h"

/* The header fields the parse-result cache keeps for SEARCH: the address
 * and subject keys (FROM, TO, CC, BCC, SUBJECT), SENT* (Date) and the
 * threading fields clients often search with HEADER. */
static const char *const cached_fields[] = {
	"From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID",
	"In-Reply-To", "References", NULL
};

int
imap_search_cached_field(const char *p, size_t len)
{
	size_t i;

	for (i = 0; cached_fields[i] != NULL; i++)
		if (strlen(cached_fields[i]) == len &&
		    strncasecmp(cached_fields[i], p, len) == 0)
			return 1;
	return 0;
}

static int
need(struct imap_search_msg *m, int what)
{
	if ((m->have & what) == what)
		return 0;
	if (m->need == NULL || m->need(m->ctx, m, what) < 0)
		return -1;
	m->have |= what;
	return 0;
}

/* The top-level header for a key on a cached field: the cache's copy when
 * the caller has one, else the header (a need callback that does not know
 * SNEED_HDRC leaves hdrc unset). */
static const struct message *
cached_header(struct imap_search_msg *m)
{
	if (need(m, SNEED_HDRC) == 0 && m->hdrc != NULL)
		return m->hdrc;
	if (need(m, SNEED_HDR) < 0)
		return NULL;
	return m->hdr;
}

static int
field_matches(const struct message *msg, const struct message_header_field *f,
    const char *needle, size_t nlen)
{
	struct buf b = BUF_INIT;
	int r;

	if (nlen == 0)
		return 1;   /* HEADER x "": the field exists */
	rfc2047_decode(msg->p + f->value_start, f->value_end - f->value_start, &b);
	r = casemap_contains_folded(b.p ? b.p : "", b.len, needle, nlen);
	buf_free(&b);
	return r;
}

/* Header fields of part (name NULL: all of them, for TEXT). */
static int
header_matches(const struct message *msg, const struct message_part *part,
    const char *name, const char *needle, size_t nlen)
{
	size_t i;

	for (i = 0; i < part->nfields; i++) {
		const struct message_header_field *f = &part->fields[i];
		if (name != NULL && !message_field_is(msg, f, name))
			continue;
		if (name == NULL) {
			/* TEXT: the whole field line, name included */
			struct buf b = BUF_INIT;
			int r;
			rfc2047_decode(msg->p + f->start, f->value_end - f->start, &b);
			r = casemap_contains_folded(b.p ? b.p : "", b.len, needle, nlen);
			buf_free(&b);
			if (r)
				return 1;
			continue;
		}
		if (field_matches(msg, f, needle, nlen))
			return 1;
	}
	return 0;
}

static int
is_text(const struct message_part *p)
{
	return p->content_type == NULL ||
	    strcasecmp(p->content_type, "text") == 0;
}

/* Bodies of the text parts under part; with_headers: also the headers of
 * message/rfc822 parts inside (TEXT). */
static int
body_matches(const struct message *msg, const struct message_part *part,
    const char *needle, size_t nlen, int with_headers, int depth)
{
	const struct message_part *c;

	if (depth > 100)
		return 0;
	if (part->children != NULL) {
		for (c = part->children; c != NULL; c = c->next) {
			if (with_headers && (part->flags & MESSAGE_PART_RFC822) &&
			    header_matches(msg, c, NULL, needle, nlen))
				return 1;
			if (body_matches(msg, c, needle, nlen, with_headers,
			    depth + 1))
				return 1;
		}
		return 0;
	}
	if (part->flags & (MESSAGE_PART_MULTIPART | MESSAGE_PART_RFC822))
		return 0;
	if (is_text(part)) {
		struct buf b = BUF_INIT;
		int r;
		message_decode_body_text(part->cte,
		    mime_params_get(&part->params, "charset"),
		    msg->p + part->body_start, part->body_end - part->body_start,
		    &b);
		r = casemap_contains_folded(b.p ? b.p : "", b.len, needle, nlen);
		buf_free(&b);
		return r;
	}
	return 0;
}

static int
sent_day(const struct message *msg, int64_t *day)
{
	const struct message_header_field *f =
	    message_part_field(msg, msg->root, "Date");

	if (f == NULL)
		return -1;
	return imap_search_sentdate(msg->p + f->value_start,
	    f->value_end - f->value_start, day);
}

static int
uid_saved(const struct imap_search_msg *m)
{
	size_t lo = 0, hi = m->nsaved;

	if (!m->saved_ok)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->saved[mid] < m->uid)
			lo = mid + 1;
		else if (m->saved[mid] > m->uid)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

int
imap_search_match(const struct imap_skey *k, struct imap_search_msg *m)
{
	const struct imap_skey *c;
	const struct message *hdr;
	int64_t day;

	switch (k->kind) {
	case SK_ALL:
		return 1;
	case SK_FLAG:
		return (m->flags & k->flag) != 0;
	case SK_NOFLAG:
		return (m->flags & k->flag) == 0;
	case SK_KEYWORD:
		return k->keyword >= 0 && (m->keywords & (1u << k->keyword));
	case SK_UNKEYWORD:
		return k->keyword < 0 || !(m->keywords & (1u << k->keyword));
	case SK_NEW:
		return m->recent && !(m->flags & MAILDIR_FLAG_SEEN);
	case SK_OLD:
		return !m->recent;
	case SK_RECENT:
		return m->recent != 0;
	case SK_BEFORE:
	case SK_ON:
	case SK_SINCE:
		if (need(m, SNEED_DATE) < 0)
			return 0;
		day = m->day;
		goto cmpday;
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
		if ((hdr = cached_header(m)) == NULL)
			return 0;
		/* no usable Date: the epoch, as the reference server
		 * counts it (before every date) */
		if (sent_day(hdr, &day) < 0)
			day = 0;
	cmpday:
		switch (k->kind) {
		case SK_BEFORE: case SK_SENTBEFORE:
			return day < k->day;
		case SK_ON: case SK_SENTON:
			return day == k->day;
		default:
			return day >= k->day;
		}
	case SK_LARGER:
		if (need(m, SNEED_SIZE) < 0)
			return 0;
		return m->size > k->num;
	case SK_SMALLER:
		if (need(m, SNEED_SIZE) < 0)
			return 0;
		return m->size < k->num;
	case SK_HEADER:
		if (imap_search_cached_field(k->field, strlen(k->field))) {
			if ((hdr = cached_header(m)) == NULL)
				return 0;
			return header_matches(hdr, hdr->root, k->field,
			    k->needle, k->needle_len);
		}
		if (need(m, SNEED_HDR) < 0 || m->hdr == NULL)
			return 0;
		return header_matches(m->hdr, m->hdr->root, k->field,
		    k->needle, k->needle_len);
	case SK_BODY:
		if (need(m, SNEED_MSG) < 0 || m->msg == NULL)
			return 0;
		if (k->needle_len == 0)
			return 1;
		return body_matches(m->msg, m->msg->root, k->needle,
		    k->needle_len, 0, 0);
	case SK_TEXT:
		if (need(m, SNEED_MSG) < 0 || m->msg == NULL)
			return 0;
		if (k->needle_len == 0)
			return 1;
		return header_matches(m->msg, m->msg->root, NULL, k->needle,
		    k->needle_len) ||
		    body_matches(m->msg, m->msg->root, k->needle,
		    k->needle_len, 1, 0);
	case SK_SEQ:
		return k->set.saved ? uid_saved(m) :
		    imap_seqset_contains(&k->set, m->seq);
	case SK_UID:
		return k->set.saved ? uid_saved(m) :
		    imap_seqset_contains(&k->set, m->uid);
	case SK_MODSEQ:
		return m->modseq >= k->num;
	case SK_NOT:
		return !imap_search_match(k->a, m);
	case SK_OR:
		return imap_search_match(k->a, m) || imap_search_match(k->b, m);
	case SK_AND:
		for (c = k->a; c != NULL; c = c->next)
			if (!imap_search_match(c, m))
				return 0;
		return 1;
	}
	return 0;
}
