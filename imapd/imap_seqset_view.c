/* imap_seqset_view.c: a sequence set or UID set argument resolved against
 * the selected mailbox view into ascending sequence numbers (FETCH, STORE,
 * SEARCH, COPY, MOVE).  Memory is bounded by the view's size: a bitmap of
 * the message count, whatever the client's ranges. */
#include <stdlib.h>
#include <string.h>
#include "imapd.h"
#include "imap_seqset.h"

int
imap_seqset_resolve(struct imap_session *s, const struct imap_arg *arg,
    int uid, uint32_t **seqs, size_t *n, const char **why)
{
	struct imap_seqset set;
	uint32_t count = imap_view_count(s);
	uint32_t star = uid ? imap_view_max_uid(s) : count;
	unsigned char *bits;
	size_t i, k = 0;
	uint32_t *out;

	*seqs = NULL;
	*n = 0;
	if (arg == NULL || arg->type != IMAP_ARG_ATOM ||
	    imap_seqset_parse(arg->p, arg->len, star, 1, &set) < 0) {
		imap_seqset_free(&set);
		*why = "Invalid message set";
		return -1;
	}
	bits = xcalloc((size_t)count / 8 + 1, 1);
	if (set.saved) {
		if (s->saved_valid)
			for (i = 0; i < s->nsaved; i++) {
				uint32_t q = imap_view_seq(s, s->saved_uids[i]);
				if (q)
					bits[(q - 1) / 8] |= 1u << ((q - 1) % 8);
			}
	} else if (uid) {
		/* "*" in an empty mailbox is 0: matches nothing; a range
		 * n:* with n above the highest UID still holds that UID
		 * (RFC 9051 6.4.8). */
		for (i = 0; i < set.n; i++) {
			uint32_t q = imap_view_seq_ge(s, set.r[i].lo);
			for (; q <= count; q++) {
				struct imap_msg *m = imap_view_get(s, q);
				if (m->uid > set.r[i].hi)
					break;
				bits[(q - 1) / 8] |= 1u << ((q - 1) % 8);
			}
		}
	} else {
		if (set.n > 0 && (set.r[0].lo == 0 || set.r[set.n - 1].hi > count)) {
			imap_seqset_free(&set);
			free(bits);
			*why = count == 0 ? "No messages" :
			    "Invalid message sequence number";
			return -1;
		}
		for (i = 0; i < set.n; i++) {
			uint32_t q;
			for (q = set.r[i].lo; q <= set.r[i].hi; q++) {
				bits[(q - 1) / 8] |= 1u << ((q - 1) % 8);
				if (q == UINT32_MAX)
					break;
			}
		}
	}
	imap_seqset_free(&set);
	for (i = 0; i < count; i++)
		if (bits[i / 8] & (1u << (i % 8)))
			k++;
	out = xcalloc(k ? k : 1, sizeof(*out));
	k = 0;
	for (i = 0; i < count; i++)
		if (bits[i / 8] & (1u << (i % 8)))
			out[k++] = (uint32_t)i + 1;
	free(bits);
	*seqs = out;
	*n = k;
	return 0;
}
